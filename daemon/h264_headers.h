/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * H.264 SPS and PPS NAL units rebuilt from the V4L2 stateless controls.
 *
 * A V4L2 client sends slice NAL units only; the parameter sets arrive as
 * v4l2_ctrl_h264_sps/pps/scaling_matrix.  A software decoder needs them
 * back as NAL units.  Every syntax element that affects reconstruction is
 * in the controls, except:
 *   - VUI and frame cropping: not written (they do not change the decoded
 *     samples; the client knows its crop);
 *   - the SPS/PPS scaling-list syntax: the controls carry only the final
 *     lists, so the SPS says "flat" and the PPS sends every list
 *     explicitly when V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT is set;
 *   - FMO slice-group maps: not in the controls; one slice group is
 *     written (see dd_h264_pps_lossy()).
 */
#ifndef DAEDALUS_H264_HEADERS_H
#define DAEDALUS_H264_HEADERS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/v4l2-controls.h>

/* Enough for either NAL unit, start code and emulation prevention included. */
#define DD_H264_PS_MAX	4096

/*
 * Writes 00 00 00 01 + the SPS NAL unit to @out.  Returns the bytes
 * written, or 0 if the SPS cannot be represented or @cap is too small.
 */
size_t dd_h264_write_sps(uint8_t *out, size_t cap,
			 const struct v4l2_ctrl_h264_sps *sps);

/*
 * Writes 00 00 00 01 + the PPS NAL unit.  @sps is the SPS it refers to
 * (its chroma_format_idc decides how many 8x8 lists exist); @sm is read
 * only when @pps has V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT.
 */
size_t dd_h264_write_pps(uint8_t *out, size_t cap,
			 const struct v4l2_ctrl_h264_sps *sps,
			 const struct v4l2_ctrl_h264_pps *pps,
			 const struct v4l2_ctrl_h264_scaling_matrix *sm);

/* True if the PPS uses something the rebuilt NAL cannot carry (FMO). */
int dd_h264_pps_lossy(const struct v4l2_ctrl_h264_pps *pps);

/*
 * 1 if every slice NAL unit of an Annex-B buffer is an I or SI slice (the
 * picture needs no reference), 0 if one is not or none was found.
 */
int dd_h264_all_intra(const uint8_t *data, size_t size);
/* The slice NAL units of an Annex-B buffer. */
unsigned int dd_h264_slices(const uint8_t *data, size_t size);

/* Zig-zag (frame) scan position -> raster index, for 4x4 and 8x8 blocks. */
extern const uint8_t dd_h264_zigzag4x4[16];
extern const uint8_t dd_h264_zigzag8x8[64];

#endif /* DAEDALUS_H264_HEADERS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test side only: what a V4L2 stateless H.264 client does with an Annex-B
 * stream.  Parses SPS/PPS/slice headers (independently of the daemon's
 * writer), splits the stream into pictures (a field is a picture), fills
 * the V4L2 controls the way GStreamer does (scaling-list fall-back rules
 * resolved, lists in raster order), keeps only the slice NAL units with
 * 3-byte start codes, and decodes the original stream with libavcodec as
 * the reference.
 */
#ifndef DD_TEST_H264_STREAM_H
#define DD_TEST_H264_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"
#include "lavc.h"

struct h264_crop {
	int x, y, w, h;		/* visible rectangle in luma samples */
};

struct h264_picture {
	struct daedalus_h264_params params;	/* dpb[] left empty */
	uint8_t *slices;	/* 00 00 01 + slice NAL, each; malloc'd */
	size_t slices_len;
	int frame;		/* index of the frame (field pair) it belongs to */
	int field, bottom, second_field, first_of_pair;
	int width, height;	/* coded size in luma samples (frame) */
	int depth;		/* luma bit depth */
	int chroma_format_idc;
	struct h264_crop crop;
};

struct h264_stream {
	uint8_t *data;		/* the whole file */
	size_t size;
	struct h264_picture *pics;
	int npics;
	int nframes;
	size_t *frame_end;	/* original bytes of frame i: [frame_end[i-1], frame_end[i]) */
	int fmo;		/* some PPS uses slice groups */
};

/* Loads and splits @path; 0 or -1 (message printed). */
int h264_stream_load(struct h264_stream *s, const char *path);
void h264_stream_free(struct h264_stream *s);

/*
 * The partial DPB a client sends with each picture: the latest reference
 * frame is always still a reference (sliding window keeps it; the test
 * streams do not MMCO it away), so the backend must not call it missing.
 * Its reference_ts is (frame + 1) * 1000, the timestamp the tests give
 * each job.
 */
struct h264_client_dpb {
	int last_ref;		/* frame of the latest reference picture, or -1 */
	int last_ref_fn;	/* its frame_num */
};

void h264_client_dpb_init(struct h264_client_dpb *d);
/* Fills @params->decode_params.dpb[0] for @pic, then remembers @pic. */
void h264_client_dpb_fill(struct h264_client_dpb *d,
			  const struct h264_picture *pic,
			  struct daedalus_h264_params *params);

/*
 * One SPS / PPS NAL unit (header byte first, no start code, escaped) into
 * V4L2 controls, as a client fills them; 0 or -1.
 */
int h264_parse_sps_nal(const uint8_t *nal, size_t len,
		       struct v4l2_ctrl_h264_sps *out);
int h264_parse_pps_nal(const uint8_t *nal, size_t len,
		       const struct v4l2_ctrl_h264_sps *sps,
		       struct v4l2_ctrl_h264_pps *pps,
		       struct v4l2_ctrl_h264_scaling_matrix *sm);

/* The reference decode of the original stream, one frame per packet. */
struct h264_ref {
	int nframes;
	uint8_t **yuv;		/* per frame (pts): visible planar yuv420p(10le) */
	size_t *yuv_len;
	int *order;		/* frames in output (display) order */
	int norder;
};

/* Decodes with libavcodec (dlopen through daemon/lavc); 0 or -1. */
int h264_ref_decode(const struct h264_stream *s, struct h264_ref *ref);
void h264_ref_free(struct h264_ref *ref);

/* Visible planar yuv420p(10le) of @fr (cropped to @crop unless NULL). */
uint8_t *h264_frame_yuv(const AVFrame *fr, const struct h264_crop *crop,
			size_t *len);

/* md5 of @len bytes as 32 hex digits + NUL. */
void h264_md5_hex(const void *data, size_t len, char hex[33]);

/* One vector of a fluster suite file (suites/<suite>.json). */
struct h264_vector {
	char name[64];
	char path[512];		/* the stream */
	char md5[33];		/* expected: md5 of the whole decoded output */
	int ten_bit;		/* output_format yuv420p10le */
};

/* The vectors of @suite present under @dir; count or -1. */
int h264_suite_load(const char *dir, const char *suite,
		    struct h264_vector **out);

/* The H.264 fluster suites, in the order the tests walk them. */
#define H264_NUM_SUITES	3
extern const char *const h264_suites[H264_NUM_SUITES];

/* The fluster suites of the codecs libavcodec decodes, with their codec. */
struct lavc_suite {
	const char *suite;
	enum daedalus_codec codec;
};

#define LAVC_NUM_SUITES	6
extern const struct lavc_suite lavc_suites[LAVC_NUM_SUITES];

/* Vector @name of any H.264 suite under @dir into *@out; 0 or -1. */
int h264_vector_find(const char *dir, const char *name, struct h264_vector *out);

/*
 * The directory of the conformance vectors: DAEDALUS_VECTORS, else
 * ../shared/vectors beside the source tree; NULL if it is not there.
 */
const char *h264_vectors_dir(void);

/*
 * What a test on the vectors does first: trace logging when DD_TRACE is
 * set, then the vectors' directory, which it returns, and libavcodec.
 * NULL after printing why the test is skipped (dd_test_skip()).
 */
const char *h264_test_begin(void);

#endif /* DD_TEST_H264_STREAM_H */

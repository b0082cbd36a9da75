/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AV1 OBUs rebuilt from the V4L2 stateless AV1 controls (AV1 spec 5.5,
 * 5.9, 5.11), for a decoder that only takes a bitstream (dav1d).  Clients
 * disagree on what the OUTPUT buffer holds around the tiles, so only the
 * controls and the TILE_GROUP_ENTRY offsets and sizes are used.
 *
 * The OBUs are equivalent to the client's, not copies: one operating point,
 * no timing or frame ids, screen content tools and integer MVs chosen per
 * frame, frame sizes always explicit, references never short-signalled,
 * loop filter deltas always sent whole, all tiles in one tile group with
 * four-byte tile sizes.  Syntax that codes a value relative to a reference
 * slot (global motion, ref_order_hint) is written against the decoder's
 * slots, mirrored here.
 */
#ifndef DAEDALUS_AV1_OBU_H
#define DAEDALUS_AV1_OBU_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"

#define DD_AV1_NUM_REF_FRAMES	8
#define DD_AV1_PRIMARY_REF_NONE	7

/* What the decoder holds in each reference slot, as far as syntax needs. */
struct dd_av1_slots {
	uint8_t valid[DD_AV1_NUM_REF_FRAMES];
	uint8_t key_frame[DD_AV1_NUM_REF_FRAMES];
	uint32_t order_hint[DD_AV1_NUM_REF_FRAMES];
	/* SavedGmParams: the frame's global motion, per reference frame. */
	int32_t gm_params[DD_AV1_NUM_REF_FRAMES][DD_AV1_NUM_REF_FRAMES][6];
	uint64_t timestamp[DD_AV1_NUM_REF_FRAMES];	/* the job that filled it */
};

void dd_av1_slots_reset(struct dd_av1_slots *s);
/* After the frame of @p (from job @timestamp) was decoded. */
void dd_av1_slots_update(struct dd_av1_slots *s,
			 const struct daedalus_av1_params *p, uint64_t timestamp);

/*
 * A shown-again key frame (show_existing_frame of a key frame in @slot)
 * refreshes every slot with it.
 */
void dd_av1_slots_show_key_frame(struct dd_av1_slots *s, unsigned int slot);

/* OBU_FRAME_HEADER showing @slot again; bytes written to @out, 0 if short. */
size_t dd_av1_write_show_existing(unsigned int slot, uint8_t *out, size_t cap);

/*
 * OBU_SEQUENCE_HEADER for @seq; bytes written to @out, or 0 if @cap is short
 * or @seq is not profile 0 at 8 or 10 bits.
 */
size_t dd_av1_write_sequence_header(const struct v4l2_ctrl_av1_sequence *seq,
				    uint8_t *out, size_t cap);

/* Bytes dd_av1_write_frame() may need for @p. */
size_t dd_av1_frame_bound(const struct daedalus_av1_params *p);

/*
 * OBU_FRAME_HEADER and one OBU_TILE_GROUP for the frame of @p, its tiles
 * taken from @bs (@bs_size bytes, the OUTPUT buffer).  Returns the bytes
 * written to @out, or 0 with *why set when the controls cannot be coded
 * (out of range, contradicting the sequence or each other, tiles outside
 * the buffer or not covering the frame) or @cap is short.
 */
size_t dd_av1_write_frame(const struct daedalus_av1_params *p,
			  const struct dd_av1_slots *s, const uint8_t *bs,
			  size_t bs_size, uint8_t *out, size_t cap,
			  const char **why);

#endif /* DAEDALUS_AV1_OBU_H */

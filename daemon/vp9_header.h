/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The start of a VP9 uncompressed header (VP9 bitstream spec 6.2), read
 * from the frame a client sent, so the backend can check the FRAME
 * control against it and mirror the decoder's reference slots.  Parsing
 * stops after the frame size: nothing later is needed.
 */
#ifndef DAEDALUS_VP9_HEADER_H
#define DAEDALUS_VP9_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define DD_VP9_NUM_REF_FRAMES	8
#define DD_VP9_REFS_PER_FRAME	3

/* What the decoder knows of its reference slots: the sizes of the frames. */
struct dd_vp9_slots {
	uint16_t width[DD_VP9_NUM_REF_FRAMES];	/* 0: nothing decoded there */
	uint16_t height[DD_VP9_NUM_REF_FRAMES];
	uint8_t bit_depth;			/* of the last key/intra-only frame */
};

struct dd_vp9_header {
	uint8_t profile;
	uint8_t show_existing_frame;
	uint8_t frame_to_show;		/* slot, with show_existing_frame */
	uint8_t key_frame;
	uint8_t show_frame;
	uint8_t error_resilient;
	uint8_t intra_only;
	uint8_t reset_frame_context;	/* the bitstream's 0..3 */
	uint8_t bit_depth;		/* 8, 10 or 12 */
	uint8_t subsampling_x, subsampling_y;
	uint8_t refresh_frame_flags;
	uint8_t ref_frame_idx[DD_VP9_REFS_PER_FRAME];
	uint8_t ref_sign_bias[DD_VP9_REFS_PER_FRAME];
	uint16_t width, height;
};

/*
 * Parses @data (one frame, not a superframe index).  @slots gives the
 * sizes a frame_size_with_refs() may copy and the bit depth inter frames
 * inherit.  Returns 0, or -1 with *why set when the header is malformed.
 */
int dd_vp9_parse_header(const uint8_t *data, size_t size,
			const struct dd_vp9_slots *slots,
			struct dd_vp9_header *hdr, const char **why);

/* Records a decoded frame of @hdr's size in the slots it refreshes. */
void dd_vp9_slots_update(struct dd_vp9_slots *slots,
			 const struct dd_vp9_header *hdr);

#endif /* DAEDALUS_VP9_HEADER_H */

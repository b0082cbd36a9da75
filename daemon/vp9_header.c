/* SPDX-License-Identifier: BSD-2-Clause */
#include "bitreader.h"
#include "vp9_header.h"

#define FAIL(msg)		\
	do {			\
		*why = (msg);	\
		return -1;	\
	} while (0)

enum { CS_RGB = 7 };

static int sync_code(struct dd_bitreader *br)
{
	return dd_br_bits(br, 24) == 0x498342;
}

/* color_config() (6.2.2) */
static int color_config(struct dd_bitreader *br, struct dd_vp9_header *h,
			const char **why)
{
	h->bit_depth = 8;
	if (h->profile >= 2)
		h->bit_depth = dd_br_bit(br) ? 12 : 10;
	if (dd_br_bits(br, 3) != CS_RGB) {
		dd_br_bit(br);	/* color_range */
		if (h->profile == 1 || h->profile == 3) {
			h->subsampling_x = (uint8_t)dd_br_bit(br);
			h->subsampling_y = (uint8_t)dd_br_bit(br);
			if (dd_br_bit(br))
				FAIL("vp9: reserved_zero set in color_config");
		} else {
			h->subsampling_x = h->subsampling_y = 1;
		}
	} else {
		if (h->profile == 0 || h->profile == 2)
			FAIL("vp9: RGB in profile 0 or 2");
		h->subsampling_x = h->subsampling_y = 0;
		if (dd_br_bit(br))
			FAIL("vp9: reserved_zero set in color_config");
	}
	return 0;
}

/*
 * frame_width_minus_1 of 0xffff is a width of 65536, which the uint16_t
 * fields (and a slot's "0: empty") cannot hold: it would read as 0.  No
 * job can have it (DD_MAX_DIMENSION), so such a frame is refused here.
 */
static int frame_size(struct dd_bitreader *br, struct dd_vp9_header *h,
		      const char **why)
{
	uint32_t w = dd_br_bits(br, 16) + 1, ht = dd_br_bits(br, 16) + 1;

	if (w > UINT16_MAX || ht > UINT16_MAX)
		FAIL("vp9: frame size of 65536");
	h->width = (uint16_t)w;
	h->height = (uint16_t)ht;
	return 0;
}

static void render_size(struct dd_bitreader *br)
{
	if (dd_br_bit(br))
		dd_br_bits(br, 32);
}

int dd_vp9_parse_header(const uint8_t *data, size_t size,
			const struct dd_vp9_slots *slots,
			struct dd_vp9_header *h, const char **why)
{
	struct dd_bitreader br;
	unsigned int i;

	*h = (struct dd_vp9_header){ 0 };
	dd_br_init(&br, data, size);
	if (dd_br_bits(&br, 2) != 2)
		FAIL("vp9: no frame marker");
	h->profile = (uint8_t)dd_br_bit(&br);
	h->profile |= (uint8_t)(dd_br_bit(&br) << 1);
	if (h->profile == 3 && dd_br_bit(&br))
		FAIL("vp9: reserved_zero set after profile 3");
	h->show_existing_frame = (uint8_t)dd_br_bit(&br);
	if (h->show_existing_frame) {
		h->frame_to_show = (uint8_t)dd_br_bits(&br, 3);
		return br.overrun ? (*why = "vp9: header truncated", -1) : 0;
	}
	h->key_frame = !dd_br_bit(&br);
	h->show_frame = (uint8_t)dd_br_bit(&br);
	h->error_resilient = (uint8_t)dd_br_bit(&br);
	if (h->key_frame) {
		if (!sync_code(&br))
			FAIL("vp9: bad sync code");
		if (color_config(&br, h, why))
			return -1;
		if (frame_size(&br, h, why))
			return -1;
		render_size(&br);
		h->refresh_frame_flags = 0xff;
	} else {
		h->intra_only = h->show_frame ? 0 : (uint8_t)dd_br_bit(&br);
		h->reset_frame_context = h->error_resilient ? 0 :
					 (uint8_t)dd_br_bits(&br, 2);
		if (h->intra_only) {
			if (!sync_code(&br))
				FAIL("vp9: bad sync code");
			if (h->profile > 0) {
				if (color_config(&br, h, why))
					return -1;
			} else {
				h->bit_depth = 8;
				h->subsampling_x = h->subsampling_y = 1;
			}
			h->refresh_frame_flags = (uint8_t)dd_br_bits(&br, 8);
			if (frame_size(&br, h, why))
				return -1;
			render_size(&br);
		} else {
			h->bit_depth = slots->bit_depth;
			h->subsampling_x = h->subsampling_y = 1;
			h->refresh_frame_flags = (uint8_t)dd_br_bits(&br, 8);
			for (i = 0; i < DD_VP9_REFS_PER_FRAME; i++) {
				h->ref_frame_idx[i] = (uint8_t)dd_br_bits(&br, 3);
				h->ref_sign_bias[i] = (uint8_t)dd_br_bit(&br);
			}
			/* frame_size_with_refs() */
			for (i = 0; i < DD_VP9_REFS_PER_FRAME; i++) {
				if (dd_br_bit(&br)) {
					h->width = slots->width[h->ref_frame_idx[i]];
					h->height = slots->height[h->ref_frame_idx[i]];
					break;
				}
			}
			if (i == DD_VP9_REFS_PER_FRAME) {
				if (frame_size(&br, h, why))
					return -1;
			} else if (!h->width) {
				FAIL("vp9: frame size taken from an empty reference slot");
			}
			render_size(&br);
		}
	}
	if (br.overrun)
		FAIL("vp9: header truncated");
	return 0;
}

void dd_vp9_slots_update(struct dd_vp9_slots *slots,
			 const struct dd_vp9_header *h)
{
	unsigned int i;

	for (i = 0; i < DD_VP9_NUM_REF_FRAMES; i++) {
		if (h->refresh_frame_flags & (1u << i)) {
			slots->width[i] = h->width;
			slots->height[i] = h->height;
		}
	}
	if (h->key_frame || h->intra_only)
		slots->bit_depth = h->bit_depth;
}

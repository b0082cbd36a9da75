/* SPDX-License-Identifier: BSD-2-Clause */
#include "vp8_header.h"

int dd_vp8_parse_header(const uint8_t *d, size_t size,
			struct dd_vp8_header *h, const char **why)
{
	uint32_t tag;

	*h = (struct dd_vp8_header){ 0 };
	if (size < 3) {
		*why = "vp8: frame shorter than its frame tag";
		return -1;
	}
	tag = d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16;
	h->key_frame = !(tag & 1);
	h->version = (tag >> 1) & 7;
	h->show_frame = (tag >> 4) & 1;
	h->first_part_size = tag >> 5;
	h->header_size = 3;
	if (!h->key_frame)
		return 0;
	if (size < 10) {
		*why = "vp8: key frame shorter than its header";
		return -1;
	}
	if (d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a) {
		*why = "vp8: key frame without start code";
		return -1;
	}
	h->width = (d[6] | d[7] << 8) & 0x3fff;
	h->horizontal_scale = d[7] >> 6;
	h->height = (d[8] | d[9] << 8) & 0x3fff;
	h->vertical_scale = d[9] >> 6;
	h->header_size = 10;
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The uncompressed start of a VP8 frame (RFC 6386 9.1): the frame tag and,
 * on key frames, the start code and dimensions, read from the frame a
 * client sent so the backend can check the FRAME control against it.
 */
#ifndef DAEDALUS_VP8_HEADER_H
#define DAEDALUS_VP8_HEADER_H

#include <stddef.h>
#include <stdint.h>

struct dd_vp8_header {
	uint8_t key_frame;
	uint8_t version;
	uint8_t show_frame;
	uint32_t first_part_size;
	uint32_t header_size;		/* bytes before the first partition: 3 or 10 */
	uint16_t width, height;		/* key frames only */
	uint8_t horizontal_scale, vertical_scale;
};

/* 0, or -1 with *why set when the frame is too short or malformed. */
int dd_vp8_parse_header(const uint8_t *data, size_t size,
			struct dd_vp8_header *hdr, const char **why);

#endif /* DAEDALUS_VP8_HEADER_H */

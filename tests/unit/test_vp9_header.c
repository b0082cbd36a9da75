/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_vp9_parse_header() on key frames built bit by bit: the frame size,
 * and a frame_width_minus_1 of 0xffff, which once parsed as width 0
 * (fuzz_vpx_headers; docs/fuzzing.md).
 */
#include <string.h>

#include "dd_test.h"
#include "vp9_header.h"

struct bits {
	uint8_t buf[16];
	size_t pos;
};

static void put(struct bits *b, uint32_t v, unsigned int n)
{
	while (n--) {
		if (v >> n & 1)
			b->buf[b->pos / 8] |= (uint8_t)(0x80 >> b->pos % 8);
		b->pos++;
	}
}

/* A profile 0 key frame of (w_minus_1 + 1) x (h_minus_1 + 1). */
static size_t key_frame(struct bits *b, uint32_t w_minus_1, uint32_t h_minus_1)
{
	memset(b, 0, sizeof(*b));
	put(b, 2, 2);		/* frame_marker */
	put(b, 0, 2);		/* profile 0 */
	put(b, 0, 1);		/* show_existing_frame */
	put(b, 0, 1);		/* key frame */
	put(b, 1, 1);		/* show_frame */
	put(b, 0, 1);		/* error_resilient_mode */
	put(b, 0x498342, 24);	/* sync code */
	put(b, 1, 3);		/* color_space BT.601 */
	put(b, 0, 1);		/* color_range */
	put(b, w_minus_1, 16);
	put(b, h_minus_1, 16);
	put(b, 0, 1);		/* render_and_frame_size_different */
	return (b->pos + 7) / 8;
}

int main(void)
{
	struct dd_vp9_slots slots = { .bit_depth = 0 };
	struct dd_vp9_header h;
	const char *why = NULL;
	struct bits b;
	size_t n;

	n = key_frame(&b, 351, 287);
	CHECK_EQ(dd_vp9_parse_header(b.buf, n, &slots, &h, &why), 0);
	CHECK_EQ(h.key_frame, 1);
	CHECK_EQ(h.width, 352);
	CHECK_EQ(h.height, 288);
	CHECK_EQ(h.bit_depth, 8);
	CHECK_EQ(h.refresh_frame_flags, 0xff);
	/* one byte short: truncated, not a smaller size */
	CHECK_EQ(dd_vp9_parse_header(b.buf, n - 1, &slots, &h, &why), -1);

	/* 65536 does not fit the uint16_t fields: refused, never 0 */
	n = key_frame(&b, 0xffff, 287);
	CHECK_EQ(dd_vp9_parse_header(b.buf, n, &slots, &h, &why), -1);
	CHECK(why != NULL);
	n = key_frame(&b, 351, 0xffff);
	CHECK_EQ(dd_vp9_parse_header(b.buf, n, &slots, &h, &why), -1);
	n = key_frame(&b, 0xfffe, 0xfffe);
	CHECK_EQ(dd_vp9_parse_header(b.buf, n, &slots, &h, &why), 0);
	CHECK_EQ(h.width, 65535);
	return dd_test_result("test_vp9_header");
}

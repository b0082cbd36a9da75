/* SPDX-License-Identifier: BSD-2-Clause */
#include "bitwriter.h"

#include <string.h>

void dd_bw_init(struct dd_bitwriter *bw, uint8_t *buf, size_t cap)
{
	bw->buf = buf;
	bw->cap = cap;
	bw->bits = 0;
	bw->overflow = 0;
	memset(buf, 0, cap);
}

static void bw_bit(struct dd_bitwriter *bw, unsigned b)
{
	size_t byte = bw->bits >> 3;

	if (byte >= bw->cap) {
		bw->overflow = 1;
		return;
	}
	if (b)
		bw->buf[byte] |= 0x80u >> (bw->bits & 7);
	bw->bits++;
}

void dd_bw_bits(struct dd_bitwriter *bw, unsigned n, uint32_t v)
{
	while (n--)
		bw_bit(bw, (v >> n) & 1);
}

void dd_bw_flag(struct dd_bitwriter *bw, int v)
{
	bw_bit(bw, v != 0);
}

void dd_bw_ue(struct dd_bitwriter *bw, uint32_t v)
{
	uint64_t x = (uint64_t)v + 1;
	unsigned len = 0;

	while ((x >> len) > 1)
		len++;
	dd_bw_bits(bw, len, 0);
	/* len + 1 bits of x, which may be 33 bits for v = 2^32 - 1 */
	if (len >= 32) {
		bw_bit(bw, 1);
		dd_bw_bits(bw, 32, (uint32_t)x);
	} else {
		dd_bw_bits(bw, len + 1, (uint32_t)x);
	}
}

void dd_bw_se(struct dd_bitwriter *bw, int32_t v)
{
	uint32_t k;

	/* -2^31 would be codeNum 2^32, past ue(v)'s 32 bits: fail, do not wrap to 0 */
	if (v == INT32_MIN) {
		bw->overflow = 1;
		return;
	}
	k = v > 0 ? 2u * (uint32_t)v - 1 : 2u * (uint32_t)-v;
	dd_bw_ue(bw, k);
}

void dd_bw_trailing(struct dd_bitwriter *bw)
{
	bw_bit(bw, 1);
	while (bw->bits & 7)
		bw_bit(bw, 0);
}

size_t dd_bw_bytes(const struct dd_bitwriter *bw)
{
	return bw->overflow ? 0 : (bw->bits + 7) >> 3;
}

size_t dd_nal_escape(uint8_t *out, size_t cap, const uint8_t *rbsp,
		     size_t len)
{
	size_t o = 0, i;
	unsigned zeros = 0;

	if (cap < 4)
		return 0;
	out[o++] = 0;
	out[o++] = 0;
	out[o++] = 0;
	out[o++] = 1;
	for (i = 0; i < len; i++) {
		/* 00 00 followed by 00..03 needs an 03 in between (7.4.1) */
		if (zeros >= 2 && rbsp[i] <= 3) {
			if (o >= cap)
				return 0;
			out[o++] = 3;
			zeros = 0;
		}
		if (o >= cap)
			return 0;
		out[o++] = rbsp[i];
		zeros = rbsp[i] ? 0 : zeros + 1;
	}
	return o;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A bit reader for peeking into codec headers the client sent: big-endian
 * bit order, Exp-Golomb codes.  Reading past the end yields zeros and sets
 * a sticky overrun flag, so parsers check once at the end.
 */
#ifndef DAEDALUS_BITREADER_H
#define DAEDALUS_BITREADER_H

#include <stddef.h>
#include <stdint.h>

struct dd_bitreader {
	const uint8_t *buf;
	size_t size;		/* bytes in buf */
	size_t pos;		/* bits read so far */
	int overrun;		/* a read went past the end; sticky */
};

static inline void dd_br_init(struct dd_bitreader *br, const uint8_t *buf,
			      size_t size)
{
	br->buf = buf;
	br->size = size;
	br->pos = 0;
	br->overrun = 0;
}

static inline unsigned int dd_br_bit(struct dd_bitreader *br)
{
	unsigned int bit;

	if (br->pos >= br->size * 8) {
		br->overrun = 1;
		return 0;
	}
	bit = (br->buf[br->pos / 8] >> (7 - br->pos % 8)) & 1;
	br->pos++;
	return bit;
}

/* The next @n (<= 32) bits, most significant first. */
static inline uint32_t dd_br_bits(struct dd_bitreader *br, unsigned int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 1 | dd_br_bit(br);
	return v;
}

/* ue(v); codes longer than 32 bits set overrun. */
static inline uint32_t dd_br_ue(struct dd_bitreader *br)
{
	unsigned int zeros = 0;

	while (!dd_br_bit(br)) {
		if (br->overrun || ++zeros > 31) {
			br->overrun = 1;
			return 0;
		}
	}
	return (uint32_t)((1ull << zeros) - 1 + dd_br_bits(br, zeros));
}

#endif /* DAEDALUS_BITREADER_H */

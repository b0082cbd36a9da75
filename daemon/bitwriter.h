/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A bit writer for rebuilding codec headers: big-endian bit order,
 * Exp-Golomb codes, and NAL-unit packaging with emulation prevention.
 */
#ifndef DAEDALUS_BITWRITER_H
#define DAEDALUS_BITWRITER_H

#include <stddef.h>
#include <stdint.h>

struct dd_bitwriter {
	uint8_t *buf;
	size_t cap;		/* bytes in buf */
	size_t bits;		/* bits written so far */
	int overflow;		/* set once a write did not fit; sticky */
};

void dd_bw_init(struct dd_bitwriter *bw, uint8_t *buf, size_t cap);
/* Writes the low @n (<= 32) bits of @v, most significant first. */
void dd_bw_bits(struct dd_bitwriter *bw, unsigned n, uint32_t v);
void dd_bw_flag(struct dd_bitwriter *bw, int v);
void dd_bw_ue(struct dd_bitwriter *bw, uint32_t v);
/* se(v) of @v; -2^31 cannot be coded and sets overflow. */
void dd_bw_se(struct dd_bitwriter *bw, int32_t v);
/* rbsp_trailing_bits(): a one bit, then zero bits to a byte boundary. */
void dd_bw_trailing(struct dd_bitwriter *bw);
/* Bytes written (rounded up); 0 after an overflow. */
size_t dd_bw_bytes(const struct dd_bitwriter *bw);

/*
 * Writes an Annex-B NAL unit: 00 00 00 01, then @rbsp (@len bytes) with
 * emulation-prevention bytes inserted.  Returns the bytes written to
 * @out, or 0 if @cap is too small.
 */
size_t dd_nal_escape(uint8_t *out, size_t cap, const uint8_t *rbsp,
		     size_t len);

#endif /* DAEDALUS_BITWRITER_H */

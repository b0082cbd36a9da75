/* SPDX-License-Identifier: BSD-2-Clause */
/* MD5 (RFC 1321), for picture checksums in tests and the replay tool. */
#ifndef DAEDALUS_MD5_H
#define DAEDALUS_MD5_H

#include <stddef.h>
#include <stdint.h>

struct dd_md5 {
	uint32_t state[4];
	uint64_t length;	/* bytes hashed so far */
	uint8_t block[64];
};

void dd_md5_init(struct dd_md5 *md5);
void dd_md5_update(struct dd_md5 *md5, const void *data, size_t size);
void dd_md5_final(struct dd_md5 *md5, uint8_t digest[16]);
/* @hex: 33 bytes, lowercase hex plus NUL. */
void dd_md5_hex(const uint8_t digest[16], char hex[33]);

#endif /* DAEDALUS_MD5_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Finding the OBUs of an AV1 byte stream in the low-overhead format (AV1
 * spec Section 5: every OBU carries obu_size), as in IVF payloads and
 * .obu files.  av1_obu.c writes OBUs; this only reads their headers.
 */
#ifndef DAEDALUS_AV1_OBU_SPLIT_H
#define DAEDALUS_AV1_OBU_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/* An OBU larger than this fails the stream. */
#define DD_AV1_OBU_MAX		(64u << 20)

#define DD_AV1_OBU_TEMPORAL_DELIMITER	2

struct dd_av1_obu_unit {
	unsigned int type;	/* obu_type */
	size_t size;		/* the whole OBU: header, size field, payload */
};

/*
 * The OBU that begins at @data, of which @len bytes are there: 1 and
 * *@obu when it is whole, 0 when more bytes are needed, or -EBADMSG (the
 * forbidden bit set, no obu_size, an obu_size of more than 8 bytes or
 * over DD_AV1_OBU_MAX).
 */
int dd_av1_obu_split(const uint8_t *data, size_t len, struct dd_av1_obu_unit *obu);

#endif /* DAEDALUS_AV1_OBU_SPLIT_H */

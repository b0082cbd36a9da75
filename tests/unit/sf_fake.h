/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A fake stream decoder (sf_backend.h) for the stateful tests: every byte
 * pushed is a picture, 'K' a key frame, 'P' not, 'B' a key frame of a
 * bigger size (32x32 against 16x16), each picture filled with its byte.
 * Like H.264's parser, it holds the newest byte (dd_sf_fake_hold bytes)
 * back until more come or the input ends.
 */
#ifndef DD_SF_FAKE_H
#define DD_SF_FAKE_H

#include "sf_backend.h"

/* Bytes held back until the input ends (1 unless a test sets it). */
extern unsigned int dd_sf_fake_hold;
/* peek_format is NULL until a test sets it to dd_sf_fake_peek. */
extern struct dd_sf_backend dd_sf_fake_backend;
/* The format of the first byte pushed, once one was. */
int dd_sf_fake_peek(void *decoder, struct dd_sf_stream_format *format);

#endif /* DD_SF_FAKE_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The interface between the stateful node's contexts (daemon/sf_context.c)
 * and the stream decoders that serve them.
 *
 * A stream decoder is fed the client's byte stream in pieces of any size
 * (push()), parses it itself, and hands out pictures in display order
 * (pull()).  It copies what it is pushed: the chunk's buffer goes back to
 * the client as soon as push() returns.  One decoder exists per stateful
 * context; it is never called from two threads at once.
 */
#ifndef DAEDALUS_SF_BACKEND_H
#define DAEDALUS_SF_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "daedalus_proto.h"
#include "pack.h"

/* What a decoded picture says of the stream (and SOURCE_CHANGE reports). */
struct dd_sf_stream_format {
	unsigned int coded_width, coded_height;
	unsigned int width, height;	/* visible */
	unsigned int depth;		/* 8 or 10 */
	unsigned int min_buffers;	/* pictures the decoder may hold back, + 1 */
	uint8_t colorspace, xfer_func, ycbcr_enc, quantization;	/* V4L2 enums */
};

/* One picture in display order, valid until the next call on its decoder. */
struct dd_sf_picture {
	struct dd_planar planes;	/* the visible rectangle, from its top left */
	struct dd_sf_stream_format format;
	uint64_t timestamp;	/* of the chunk in which the picture began */
	int key;		/* decodable from the bytes pushed since open or
				 * reset(): a resume point's picture, or one
				 * decoded after it (even if shown before it) */
	const char *corrupt;	/* why it is concealed or partial, or NULL */
};

enum dd_sf_pull {
	DD_SF_PICTURE,		/* *pic holds a picture */
	DD_SF_NEED_INPUT,	/* nothing until more bytes (or end_of_input()) */
	DD_SF_DRAINED,		/* after end_of_input(): every picture was given */
};

struct dd_sf_config {
	enum daedalus_codec codec;
	unsigned int threads;	/* the thread budget's share */
};

struct dd_sf_backend {
	const char *name;
	uint32_t codecs;	/* DAEDALUS_CODEC_BIT()s */
	/* As struct dd_backend's: why it cannot run here, or NULL. */
	const char *(*unavailable)(void);
	int (*open)(void **decoder, const struct dd_sf_config *cfg);
	/*
	 * Takes a copy of @size bytes of the stream, which began at
	 * @timestamp (every picture that begins in them carries it).
	 * Returns 0, or a negative errno when the decoder is unusable.
	 */
	int (*push)(void *decoder, const uint8_t *data, size_t size,
		    uint64_t timestamp);
	/* No more bytes until reset(): decode what is held, then DRAINED. */
	int (*end_of_input)(void *decoder);
	/*
	 * The next picture in display order (DD_SF_PICTURE), or why there
	 * is none; a negative errno when the decoder is unusable.
	 */
	int (*pull)(void *decoder, struct dd_sf_picture *pic);
	/*
	 * The stream's format as soon as its headers tell it, before any
	 * picture is decoded: 1 and *format filled, or 0 if not known yet.
	 * NULL: the first picture tells it.
	 */
	int (*peek_format)(void *decoder, struct dd_sf_stream_format *format);
	/* Forget every byte and picture held; a new stream follows. */
	void (*reset)(void *decoder);
	void (*close)(void *decoder);
};

/* The stream backend that decodes @codec here, or NULL. */
const struct dd_sf_backend *dd_sf_backend_find(enum daedalus_codec codec);
/* DAEDALUS_CODEC_BIT()s of every codec some stream backend decodes here. */
uint32_t dd_sf_backend_codec_mask(void);

extern const struct dd_sf_backend dd_sf_backend_lavc;
extern const struct dd_sf_backend dd_sf_backend_dav1d;

#endif /* DAEDALUS_SF_BACKEND_H */

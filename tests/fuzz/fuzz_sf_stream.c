/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_sf_stream: the stateful node's stream backends (daemon/sf_lavc.c,
 * daemon/sf_dav1d.c) on arbitrary bytes cut at arbitrary points.
 *
 * Input: one byte picks the codec (H.264, VP8, VP9, AV1: its value mod
 * 4) and the thread budget (1, 2 or 4: the value / 4 mod 3), one byte
 * seeds the cuts (chunks of 1 to 1 + 8 * that byte bytes),
 * the rest is the stream.  Each chunk is pushed from a buffer of exactly
 * its size, with its index as timestamp, and the decoder pulled until it
 * wants input; then end_of_input() and pulls until DRAINED or a failure;
 * then reset() and the first half of the stream again, and close().
 *
 * Invariants besides no crash: pull() and push() return what
 * sf_backend.h allows; a picture's visible size is within its coded size
 * and non-zero, its depth 8 or 10, min_buffers 1..32, its timestamp one
 * pushed since the last reset, and every row of every plane readable
 * (the first and last sample are read, so ASan sees a plane too short);
 * peek_format() tells a format within the same bounds.
 */
#define FZ_TARGET "fuzz_sf_stream"	/* fuzz_check.h */

#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"
#include "log.h"
#include "sf_backend.h"

/* Pulls per chunk at most: a stream of tiny frames stays cheap. */
#define MAX_PULLS	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const enum daedalus_codec codecs[4] = {
	DAEDALUS_CODEC_H264, DAEDALUS_CODEC_VP8, DAEDALUS_CODEC_VP9,
	DAEDALUS_CODEC_AV1,
};

static volatile uint8_t sink;

static void check_format(const struct dd_sf_stream_format *f)
{
	CHECK(f->width && f->height, "empty format", f->width);
	CHECK(f->width <= f->coded_width && f->height <= f->coded_height,
	      "visible beyond coded", f->width);
	CHECK(f->depth == 8 || f->depth == 10, "depth", f->depth);
	CHECK(f->min_buffers >= 1 && f->min_buffers <= 32, "min_buffers",
	      f->min_buffers);
}

static void check_picture(const struct dd_sf_picture *pic, uint64_t pushed)
{
	const struct dd_planar *p = &pic->planes;
	size_t bps = p->depth > 8 ? 2 : 1;

	check_format(&pic->format);
	CHECK(p->width == pic->format.width && p->height == pic->format.height,
	      "planes and format differ", p->width);
	CHECK(pic->timestamp < pushed, "timestamp never pushed", pic->timestamp);
	for (int i = 0; i < (p->gray ? 1 : 3); i++) {
		unsigned int w = i ? (p->width + 1) / 2 : p->width;
		unsigned int h = i ? (p->height + 1) / 2 : p->height;

		for (unsigned int y = 0; y < h; y++) {
			const uint8_t *row = p->plane[i].data + (ptrdiff_t)y * p->plane[i].stride;

			sink ^= row[0] ^ row[w * bps - 1];
		}
	}
}

/* Pulls until the decoder wants input (or at most MAX_PULLS): the last result. */
static int pull(const struct dd_sf_backend *b, void *dec, uint64_t pushed)
{
	struct dd_sf_stream_format f;
	struct dd_sf_picture pic;
	int ret = DD_SF_NEED_INPUT;

	for (int i = 0; i < MAX_PULLS; i++) {
		ret = b->pull(dec, &pic);
		CHECK(ret < 0 || ret == DD_SF_PICTURE || ret == DD_SF_NEED_INPUT ||
		      ret == DD_SF_DRAINED, "pull result", ret);
		if (ret != DD_SF_PICTURE)
			break;
		check_picture(&pic, pushed);
	}
	if (b->peek_format && b->peek_format(dec, &f) == 1)
		check_format(&f);
	return ret;
}

/* Pushes @size bytes in chunks; 0, or the decoder failed. */
static int feed(const struct dd_sf_backend *b, void *dec, const uint8_t *data,
		size_t size, uint32_t seed, size_t max)
{
	uint64_t ts = 0;
	size_t pos = 0;

	while (pos < size) {
		size_t n;
		uint8_t *chunk;
		int ret;

		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		n = 1 + seed % max;
		if (n > size - pos)
			n = size - pos;
		chunk = exact_copy(data + pos, n);
		if (!chunk)
			return -1;
		ret = b->push(dec, chunk, n, ts++);
		free(chunk);
		pos += n;
		if (ret)
			return ret;
		if (pull(b, dec, ts) < 0)
			return -1;
	}
	CHECK(b->end_of_input(dec) <= 0, "end_of_input result", 0);
	for (int i = 0; i < 1024; i++) {
		int ret = pull(b, dec, ts);

		if (ret < 0 || ret == DD_SF_DRAINED)
			return 0;
		CHECK(ret != DD_SF_NEED_INPUT, "needs input after the end", ret);
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dd_log_set_level(getenv("DD_FUZZ_VERBOSE") ? DD_LOG_DEBUG : DD_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int threads[3] = { 1, 2, 4 };
	struct dd_sf_config cfg;
	const struct dd_sf_backend *b;
	void *dec;
	size_t max;

	if (size < 2)
		return 0;
	cfg.codec = codecs[data[0] % 4];
	cfg.threads = threads[data[0] / 4 % 3];
	max = 1 + 8 * (size_t)data[1];
	b = dd_sf_backend_find(cfg.codec);
	if (!b || b->open(&dec, &cfg))
		return 0;
	feed(b, dec, data + 2, size - 2, 0x9e3779b9u ^ data[1], max);
	b->reset(dec);
	feed(b, dec, data + 2, (size - 2) / 2, 0x85ebca6bu ^ data[1], max);
	b->close(dec);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sf_fake.h"

struct fake {
	uint8_t bytes[256];
	uint64_t ts[256];
	unsigned int n, next;	/* held, and the next to hand out */
	int ended, peek;
	uint8_t plane[3][64 * 64];
	unsigned int resets;
};

unsigned int dd_sf_fake_hold = 1;

static int fake_open(void **d, const struct dd_sf_config *cfg)
{
	(void)cfg;
	*d = calloc(1, sizeof(struct fake));
	return *d ? 0 : -ENOMEM;
}

static int fake_push(void *d, const uint8_t *data, size_t size, uint64_t ts)
{
	struct fake *f = d;

	for (size_t i = 0; i < size && f->n < 256; i++) {
		f->bytes[f->n] = data[i];
		f->ts[f->n++] = ts;
	}
	return 0;
}

static int fake_end(void *d)
{
	((struct fake *)d)->ended = 1;
	return 0;
}

static void format_of(uint8_t b, struct dd_sf_stream_format *fmt)
{
	unsigned int s = b == 'B' ? 32 : 16;

	memset(fmt, 0, sizeof(*fmt));
	fmt->coded_width = fmt->coded_height = s;
	fmt->width = fmt->height = s;
	fmt->depth = 8;
	fmt->min_buffers = 2;
}

static int fake_pull(void *d, struct dd_sf_picture *pic)
{
	struct fake *f = d;
	uint8_t b;

	/* The newest bytes wait for more unless the input ended. */
	if (f->next + (f->ended ? 0 : dd_sf_fake_hold) >= f->n)
		return f->ended && f->next == f->n ? DD_SF_DRAINED : DD_SF_NEED_INPUT;
	b = f->bytes[f->next];
	memset(pic, 0, sizeof(*pic));
	format_of(b, &pic->format);
	for (int i = 0; i < 3; i++) {
		memset(f->plane[i], b, sizeof(f->plane[i]));
		pic->planes.plane[i].data = f->plane[i];
		pic->planes.plane[i].stride = 64;
	}
	pic->planes.width = pic->format.width;
	pic->planes.height = pic->format.height;
	pic->planes.depth = 8;
	pic->timestamp = f->ts[f->next++];
	pic->key = b != 'P';
	return DD_SF_PICTURE;
}

int dd_sf_fake_peek(void *d, struct dd_sf_stream_format *fmt)
{
	struct fake *f = d;

	if (!f->peek || !f->n)
		return 0;
	format_of(f->bytes[0], fmt);
	return 1;
}

static void fake_reset(void *d)
{
	struct fake *f = d;

	f->n = f->next = 0;
	f->ended = 0;
	f->resets++;
}

static void fake_close(void *d)
{
	free(d);
}

struct dd_sf_backend dd_sf_fake_backend = {
	.name = "fake",
	.open = fake_open,
	.push = fake_push,
	.end_of_input = fake_end,
	.pull = fake_pull,
	.reset = fake_reset,
	.close = fake_close,
};

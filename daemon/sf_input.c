/* SPDX-License-Identifier: BSD-2-Clause */
#include "sf_input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void dd_sf_input_init(struct dd_sf_input *in)
{
	memset(in, 0, sizeof(*in));
}

void dd_sf_input_free(struct dd_sf_input *in)
{
	free(in->buf);
	free(in->marks);
	dd_sf_input_init(in);
}

void dd_sf_input_reset(struct dd_sf_input *in)
{
	in->start = in->end = 0;
	in->base = 0;
	in->first = in->count = 0;
	in->ended = 0;
	in->failed = 0;
}

/* Room for @size more bytes and their padding; moves the unread to the front. */
static int reserve_bytes(struct dd_sf_input *in, size_t size)
{
	size_t unread = in->end - in->start, need, cap;
	uint8_t *p;

	if (size > SIZE_MAX / 2 - unread - DD_SF_INPUT_PADDING)
		return -ENOMEM;
	need = unread + size + DD_SF_INPUT_PADDING;
	if (in->start && in->end + size + DD_SF_INPUT_PADDING > in->cap) {
		memmove(in->buf, in->buf + in->start, unread);
		in->base += in->start;
		in->start = 0;
		in->end = unread;
	}
	if (need <= in->cap)
		return 0;
	cap = in->cap ? in->cap : 4096;
	while (cap < need)
		cap *= 2;
	p = realloc(in->buf, cap);
	if (!p)
		return -ENOMEM;
	in->buf = p;
	in->cap = cap;
	return 0;
}

static int add_mark(struct dd_sf_input *in, uint64_t offset, uint64_t ts)
{
	if (in->first && in->first + in->count == in->marks_cap) {
		memmove(in->marks, in->marks + in->first,
			in->count * sizeof(*in->marks));
		in->first = 0;
	}
	if (in->count == in->marks_cap) {
		size_t cap = in->marks_cap ? 2 * in->marks_cap : 16;
		struct dd_sf_input_mark *m;

		if (cap > SIZE_MAX / sizeof(*m))
			return -ENOMEM;
		m = realloc(in->marks, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		in->marks = m;
		in->marks_cap = cap;
	}
	in->marks[in->first + in->count].offset = offset;
	in->marks[in->first + in->count].ts = ts;
	in->count++;
	return 0;
}

int dd_sf_input_push(struct dd_sf_input *in, const uint8_t *data, size_t size,
		     uint64_t ts)
{
	int ret;

	if (in->failed)
		return in->failed;
	if (in->ended)
		return -EINVAL;
	if (!size)
		return 0;
	ret = reserve_bytes(in, size);
	if (!ret)
		ret = add_mark(in, in->base + in->end, ts);
	if (ret) {
		in->failed = ret;
		return ret;
	}
	memcpy(in->buf + in->end, data, size);
	in->end += size;
	memset(in->buf + in->end, 0, DD_SF_INPUT_PADDING);
	return 0;
}

int dd_sf_input_end(struct dd_sf_input *in)
{
	in->ended = 1;
	return in->failed;
}

const uint8_t *dd_sf_input_data(const struct dd_sf_input *in, size_t *len)
{
	static const uint8_t none[DD_SF_INPUT_PADDING];

	*len = in->end - in->start;
	return in->buf ? in->buf + in->start : none;
}

uint64_t dd_sf_input_offset(const struct dd_sf_input *in)
{
	return in->base + in->start;
}

void dd_sf_input_consume(struct dd_sf_input *in, size_t n)
{
	if (n > in->end - in->start)
		n = in->end - in->start;
	in->start += n;
	if (in->start == in->end) {
		in->base += in->start;
		in->start = in->end = 0;
	}
}

int dd_sf_input_ts_at(struct dd_sf_input *in, uint64_t offset, uint64_t *ts)
{
	const struct dd_sf_input_mark *m = in->marks + in->first;

	while (in->count > 1 && m[1].offset <= offset) {
		in->first++;
		in->count--;
		m++;
	}
	if (!in->count || m->offset > offset ||
	    offset >= in->base + in->end)
		return -1;
	*ts = m->ts;
	return 0;
}

size_t dd_sf_input_chunk_len(const struct dd_sf_input *in)
{
	uint64_t pos = dd_sf_input_offset(in), end = in->base + in->end;
	size_t i;

	for (i = 0; i < in->count; i++) {
		uint64_t off = in->marks[in->first + i].offset;

		if (off > pos) {
			end = off;
			break;
		}
	}
	return (size_t)(end - pos);
}

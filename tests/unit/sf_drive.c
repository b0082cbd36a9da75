/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md5.h"
#include "sf_drive.h"

int sf_runs, sf_md5_matches;
unsigned int sf_threads = 1;

/* Visible rows of @pic into @md5; gray pictures get neutral chroma. */
static void hash_picture(struct dd_md5 *md5, const struct dd_sf_picture *pic)
{
	const struct dd_planar *p = &pic->planes;
	size_t bps = p->depth > 8 ? 2 : 1;
	unsigned int cw = (p->width + 1) / 2, ch = (p->height + 1) / 2;
	uint8_t *grey = calloc(cw, bps);

	for (unsigned int y = 0; y < p->height; y++)
		dd_md5_update(md5, p->plane[0].data + (ptrdiff_t)y * p->plane[0].stride,
			      p->width * bps);
	for (int i = 1; i < 3; i++) {
		for (unsigned int y = 0; y < ch; y++) {
			if (!p->gray) {
				dd_md5_update(md5, p->plane[i].data +
					      (ptrdiff_t)y * p->plane[i].stride, cw * bps);
				continue;
			}
			for (unsigned int x = 0; grey && x < cw; x++) {
				if (bps == 1)
					grey[x] = 128;
				else
					grey[2 * x + 1] = 2;	/* 512, little-endian */
			}
			if (grey)
				dd_md5_update(md5, grey, cw * bps);
		}
	}
	free(grey);
}

static void peek(const struct dd_sf_backend *b, void *dec, struct sf_run *run,
		 struct dd_sf_stream_format *told, int *have)
{
	struct dd_sf_stream_format f;

	if (b->peek_format && b->peek_format(dec, &f) == 1) {
		*told = f;
		*have = 1;
		if (!run->npics)
			run->peeked = 1;
		else if (memcmp(&f, &run->first, sizeof(f)))
			run->peek_differs = 1;
	}
}

/* Pulls until @until (or an error); 0, or the error. */
static int pull_all(const struct dd_sf_backend *b, void *dec, struct sf_run *run,
		    struct dd_md5 *md5, enum dd_sf_pull until,
		    struct dd_sf_stream_format *told, int *have)
{
	struct dd_sf_picture pic;
	int ret;

	for (;;) {
		ret = b->pull(dec, &pic);
		if (ret < 0)
			return ret;
		if (ret != DD_SF_PICTURE) {
			if (ret == DD_SF_DRAINED && until != DD_SF_DRAINED)
				return -1000;	/* drained without end_of_input() */
			if (ret == (int)until)
				return 0;
			if (until == DD_SF_DRAINED)
				return -1001;	/* needs input after end_of_input() */
			return 0;
		}
		if (!run->npics) {
			run->first = pic.format;
			if (*have && memcmp(told, &pic.format, sizeof(*told)))
				run->peek_differs = 1;
		}
		if (!(run->npics & 1023)) {
			uint64_t *ts = realloc(run->ts, (run->npics + 1024) * sizeof(*ts));

			if (!ts)
				return -1002;
			run->ts = ts;
		}
		run->ts[run->npics++] = pic.timestamp;
		run->keyed |= pic.key;
		if (!run->keyed)
			run->keyless++;
		hash_picture(md5, &pic);
		if (run->npics == 1)
			peek(b, dec, run, told, have);
	}
}

void sf_run_on(const struct dd_sf_backend *b, void *dec, const uint8_t *data,
	       const size_t *end, int n, struct sf_run *run)
{
	struct dd_sf_stream_format told;
	struct dd_md5 md5;
	uint8_t digest[16];
	int have = 0, ret = 0, i;
	size_t prev = 0;

	memset(run, 0, sizeof(*run));
	sf_runs++;
	dd_md5_init(&md5);
	for (i = 0; i < n && !ret; i++) {
		ret = b->push(dec, data + prev, end[i] - prev, SF_TS(i));
		prev = end[i];
		if (!ret)
			ret = pull_all(b, dec, run, &md5, DD_SF_NEED_INPUT, &told, &have);
		if (!ret && !run->npics)
			peek(b, dec, run, &told, &have);
	}
	if (!ret)
		ret = b->end_of_input(dec);
	if (!ret)
		ret = pull_all(b, dec, run, &md5, DD_SF_DRAINED, &told, &have);
	else
		run->not_drained = 1;
	if (ret)
		run->err = ret;
	dd_md5_final(&md5, digest);
	dd_md5_hex(digest, run->md5);
}

int sf_run(const struct dd_sf_backend *b, enum daedalus_codec codec,
	   const uint8_t *data, const size_t *end, int n, struct sf_run *run)
{
	struct dd_sf_config cfg = { .codec = codec, .threads = sf_threads };
	void *dec;

	memset(run, 0, sizeof(*run));
	if (b->open(&dec, &cfg))
		return -1;
	sf_run_on(b, dec, data, end, n, run);
	b->close(dec);
	return 0;
}

void sf_run_free(struct sf_run *run)
{
	free(run->ts);
	run->ts = NULL;
}

int sf_md5_is(const struct sf_run *run, const char *md5)
{
	int same = !strcmp(run->md5, md5);

	sf_md5_matches += same;
	return same;
}

int sf_chunk_of(const size_t *end, int n, size_t off)
{
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (end[mid] > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int sf_run_problems(const struct sf_run *run, const char *name, const char *what,
		    const char *md5, const size_t *end, int n, const int *order,
		    int norder, const size_t *begin)
{
	int problems = 0, bad_ts = 0;

	if (!sf_md5_is(run, md5)) {
		fprintf(stderr, "%s %s: md5 %s, suite %s\n", name, what, run->md5, md5);
		problems++;
	}
	if (run->err || run->not_drained) {
		fprintf(stderr, "%s %s: failed (%d)\n", name, what, run->err);
		problems++;
	}
	if (run->npics != norder) {
		fprintf(stderr, "%s %s: %d pictures, not %d\n", name, what,
			run->npics, norder);
		problems++;
	}
	if (run->peek_differs) {
		fprintf(stderr, "%s %s: peek_format() told another format\n", name, what);
		problems++;
	}
	for (int k = 0; k < run->npics && k < norder; k++)
		if (run->ts[k] != SF_TS(sf_chunk_of(end, n, begin[order[k]])))
			bad_ts++;
	if (bad_ts) {
		fprintf(stderr, "%s %s: %d of %d timestamps wrong\n", name, what,
			bad_ts, run->npics);
		problems++;
	}
	return problems;
}

int sf_run_cut(const struct dd_sf_backend *b, enum daedalus_codec codec,
	       const char *name, const char *what, const char *md5,
	       const uint8_t *data, const size_t *end, int n, const int *order,
	       int norder, const size_t *begin)
{
	struct sf_run run;
	int problems;

	if (sf_run(b, codec, data, end, n, &run)) {
		fprintf(stderr, "%s %s: the backend did not open\n", name, what);
		return 1;
	}
	problems = sf_run_problems(&run, name, what, md5, end, n, order, norder,
				   begin);
	sf_run_free(&run);
	return problems;
}

int sf_reset_problems(const struct dd_sf_backend *b, enum daedalus_codec codec,
		      const char *name, const char *md5, const uint8_t *data,
		      const size_t *end, int n, const int *order, int norder,
		      const size_t *begin)
{
	struct dd_sf_config cfg = { .codec = codec, .threads = sf_threads };
	struct dd_sf_picture pic;
	struct sf_run run;
	int problems = 0, i, ret = 0;
	size_t prev = 0;
	void *dec;

	if (b->open(&dec, &cfg))
		return 1;
	for (i = 0; i < n && end[i] <= end[n - 1] / 3 && ret >= 0; i++) {
		ret = b->push(dec, data + prev, end[i] - prev, SF_TS(i));
		prev = end[i];
		while (!ret && (ret = b->pull(dec, &pic)) == DD_SF_PICTURE)
			ret = 0;
	}
	b->reset(dec);
	for (i = 0; i < 2; i++) {
		sf_run_on(b, dec, data, end, n, &run);
		problems += sf_run_problems(&run, name, i ? "reset after the end" :
					    "reset mid-stream", md5, end, n,
					    order, norder, begin);
		sf_run_free(&run);
		b->reset(dec);
	}
	b->close(dec);
	return problems;
}

static size_t *cuts(size_t size, int *n, size_t (*next)(void *), void *arg)
{
	size_t *end = NULL, pos = 0;
	int count = 0, cap = 0;

	while (pos < size) {
		size_t step = next(arg);

		if (count == cap) {
			size_t *e = realloc(end, (cap = cap ? 2 * cap : 256) * sizeof(*e));

			if (!e) {
				free(end);
				return NULL;
			}
			end = e;
		}
		pos = step < size - pos ? pos + step : size;
		end[count++] = pos;
	}
	*n = count;
	return end;
}

static size_t fixed_step(void *arg)
{
	return *(size_t *)arg;
}

size_t *sf_cuts_fixed(size_t size, size_t step, int *n)
{
	return cuts(size, n, fixed_step, &step);
}

struct random_steps {
	uint32_t state;
	size_t max;
};

static size_t random_step(void *arg)
{
	struct random_steps *r = arg;

	/* xorshift32 */
	r->state ^= r->state << 13;
	r->state ^= r->state >> 17;
	r->state ^= r->state << 5;
	return 1 + r->state % r->max;
}

size_t *sf_cuts_random(size_t size, size_t max, uint32_t seed, int *n)
{
	struct random_steps r = { seed ? seed : 1, max ? max : 1 };

	return cuts(size, n, random_step, &r);
}

static size_t prime_step(void *arg)
{
	size_t *p = arg, q;

	for (q = *p + 1;; q++) {
		size_t d = 2;

		while (d * d <= q && q % d)
			d++;
		if (d * d > q)
			break;
	}
	*p = q > 2000 ? 1 : q;	/* 2, 3, 5, ..., 1999, then again */
	return q;
}

size_t *sf_cuts_primes(size_t size, int *n)
{
	size_t p = 1;

	return cuts(size, n, prime_step, &p);
}

uint8_t *sf_file_load(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	*size = (size_t)len;
out:
	fclose(f);
	return buf;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int sf_ivf_load(const char *path, uint8_t **data, size_t *size, size_t **end,
		int *n)
{
	size_t len, pos, out = 0;
	uint8_t *file = sf_file_load(path, &len);
	int count = 0;

	*data = NULL;
	*end = NULL;
	if (!file || len < 32 || memcmp(file, "DKIF", 4))
		goto fail;
	*data = malloc(len);
	*end = malloc((len / 12 + 1) * sizeof(**end));
	if (!*data || !*end)
		goto fail;
	for (pos = le32(file + 4) >> 16; pos + 12 <= len;) {
		uint32_t fs = le32(file + pos);

		if (fs > len - pos - 12)
			goto fail;
		memcpy(*data + out, file + pos + 12, fs);
		out += fs;
		(*end)[count++] = out;
		pos += 12 + fs;
	}
	free(file);
	*size = out;
	*n = count;
	return 0;
fail:
	free(file);
	free(*data);
	free(*end);
	*data = NULL;
	*end = NULL;
	return -1;
}

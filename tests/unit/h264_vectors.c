/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test side: the reference decode of a split stream (libavcodec on the
 * original bytes) and the conformance suites' vector lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h264_stream.h"
#include "log.h"
#include "md5.h"

/* ---- reference decode ---- */

uint8_t *h264_frame_yuv(const AVFrame *fr, const struct h264_crop *crop,
			size_t *len)
{
	int bps = fr->format == AV_PIX_FMT_YUV420P10 ? 2 : 1;
	int w = crop ? crop->w : fr->width, h = crop ? crop->h : fr->height;
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	int x0 = crop ? crop->x : 0, y0 = crop ? crop->y : 0;
	uint8_t *out, *o;
	int y, pl;

	*len = (size_t)(w * h + 2 * cw * ch) * bps;
	out = malloc(*len);
	if (!out)
		return NULL;
	o = out;
	for (pl = 0; pl < 3; pl++) {
		int pw = pl ? cw : w, ph = pl ? ch : h;

		for (y = 0; y < ph; y++) {
			if (fr->data[pl]) {
				int sx = pl ? x0 / 2 : x0, sy = pl ? y0 / 2 : y0;

				memcpy(o, fr->data[pl] + (size_t)(y + sy) * fr->linesize[pl] +
				       (size_t)sx * bps, (size_t)pw * bps);
			} else if (bps == 1) {
				memset(o, 128, pw);
			} else {
				for (int x = 0; x < pw; x++) {
					o[2 * x] = 0;
					o[2 * x + 1] = 2;
				}
			}
			o += (size_t)pw * bps;
		}
	}
	return out;
}

static int ref_collect(const struct dd_lavc *av, AVCodecContext *ctx,
		       AVFrame *fr, struct h264_ref *ref)
{
	while (av->avcodec_receive_frame(ctx, fr) >= 0) {
		int k = (int)fr->pts;

		if (k >= 0 && k < ref->nframes && !ref->yuv[k]) {
			ref->yuv[k] = h264_frame_yuv(fr, NULL, &ref->yuv_len[k]);
			ref->order[ref->norder++] = k;
		}
		av->av_frame_unref(fr);
	}
	return 0;
}

int h264_ref_decode(const struct h264_stream *s, struct h264_ref *ref)
{
	const struct dd_lavc *av = dd_lavc_load();
	const AVCodec *codec;
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *fr;
	uint8_t *buf;
	size_t prev = 0;
	int i;

	memset(ref, 0, sizeof(*ref));
	if (!av)
		return -1;
	codec = av->avcodec_find_decoder(AV_CODEC_ID_H264);
	ctx = av->avcodec_alloc_context3(codec);
	pkt = av->av_packet_alloc();
	fr = av->av_frame_alloc();
	buf = malloc(s->size + AV_INPUT_BUFFER_PADDING_SIZE);
	ref->nframes = s->nframes;
	ref->yuv = calloc(s->nframes, sizeof(*ref->yuv));
	ref->yuv_len = calloc(s->nframes, sizeof(*ref->yuv_len));
	ref->order = calloc(s->nframes, sizeof(*ref->order));
	if (!ctx || !pkt || !fr || !buf || !ref->yuv || !ref->yuv_len ||
	    !ref->order)
		return -1;
	ctx->thread_count = 1;
	/*
	 * The ffmpeg CLI learns the reorder depth while probing; without it
	 * lavc drops the first B pictures of some streams as "too late".
	 */
	ctx->has_b_frames = 16;
	ctx->flags |= AV_CODEC_FLAG_UNALIGNED;	/* exact left/top crop */
	if (av->avcodec_open2(ctx, codec, NULL) < 0)
		return -1;
	for (i = 0; i < s->nframes; i++) {
		size_t len = s->frame_end[i] - prev;

		memcpy(buf, s->data + prev, len);
		memset(buf + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
		pkt->data = buf;
		pkt->size = (int)len;
		pkt->pts = i;
		prev = s->frame_end[i];
		av->avcodec_send_packet(ctx, pkt);
		ref_collect(av, ctx, fr, ref);
	}
	av->avcodec_send_packet(ctx, NULL);
	ref_collect(av, ctx, fr, ref);
	av->av_frame_free(&fr);
	av->av_packet_free(&pkt);
	av->avcodec_free_context(&ctx);
	free(buf);
	return 0;
}

void h264_ref_free(struct h264_ref *ref)
{
	int i;

	for (i = 0; i < ref->nframes; i++)
		free(ref->yuv[i]);
	free(ref->yuv);
	free(ref->yuv_len);
	free(ref->order);
	memset(ref, 0, sizeof(*ref));
}

void h264_md5_hex(const void *data, size_t len, char hex[33])
{
	struct dd_md5 m;
	uint8_t d[16];

	dd_md5_init(&m);
	dd_md5_update(&m, data, len);
	dd_md5_final(&m, d);
	dd_md5_hex(d, hex);
}

const char *h264_vectors_dir(void)
{
	const char *dir = getenv("DAEDALUS_VECTORS");
	struct stat st;

	if (!dir)
		dir = DD_VECTORS_DIR;
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

const char *h264_test_begin(void)
{
	const char *dir = h264_vectors_dir();

	if (getenv("DD_TRACE"))
		dd_log_set_level(DD_LOG_TRACE);
	if (!dir) {
		printf("SKIP: no conformance vectors (set DAEDALUS_VECTORS)\n");
		return NULL;
	}
	if (!dd_lavc_load()) {
		printf("SKIP: %s\n", dd_lavc_error());
		return NULL;
	}
	return dir;
}

/* The value of "key": "..." after @from, copied to @out; end of it or NULL. */
static const char *json_str(const char *from, const char *key, char *out,
			    size_t cap)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(from, pat);
	if (!p)
		return NULL;
	p = strchr(p + strlen(pat), '"');
	if (!p)
		return NULL;
	e = strchr(++p, '"');
	if (!e || (size_t)(e - p) >= cap)
		return NULL;
	memcpy(out, p, e - p);
	out[e - p] = 0;
	return e + 1;
}

int h264_suite_load(const char *dir, const char *suite,
		    struct h264_vector **out)
{
	char path[512], name[64], file[256], md5[64], fmt[32];
	struct h264_vector *v = NULL, *nv;
	const char *p, *next;
	struct stat st;
	int n = 0;
	char *json;
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/suites/%s.json", dir, suite);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	json = calloc(1, (size_t)size + 1);
	if (!json || fread(json, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(json);
		return -1;
	}
	fclose(f);
	p = strstr(json, "\"test_vectors\"");
	while (p && (next = json_str(p, "name", name, sizeof(name)))) {
		p = next;
		if (!(p = json_str(p, "input_file", file, sizeof(file))) ||
		    !(p = json_str(p, "output_format", fmt, sizeof(fmt))) ||
		    !(p = json_str(p, "result", md5, sizeof(md5))))
			break;
		snprintf(path, sizeof(path), "%s/%s/%s/%s", dir, suite, name, file);
		if (stat(path, &st) || strlen(md5) != 32)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		snprintf(v[n].name, sizeof(v[n].name), "%s", name);
		snprintf(v[n].path, sizeof(v[n].path), "%s", path);
		memcpy(v[n].md5, md5, 33);
		v[n].ten_bit = !strcmp(fmt, "yuv420p10le");
		n++;
	}
	free(json);
	*out = v;
	return n;
}

const char *const h264_suites[H264_NUM_SUITES] = {
	"JVT-AVC_V1", "JVT-FR-EXT", "JVT-Professional_profiles",
};

const struct lavc_suite lavc_suites[LAVC_NUM_SUITES] = {
	{ "JVT-AVC_V1", DAEDALUS_CODEC_H264 },
	{ "JVT-FR-EXT", DAEDALUS_CODEC_H264 },
	{ "JVT-Professional_profiles", DAEDALUS_CODEC_H264 },
	{ "VP9-TEST-VECTORS", DAEDALUS_CODEC_VP9 },
	{ "VP9-LIBVPX-GEN", DAEDALUS_CODEC_VP9 },
	{ "VP8-TEST-VECTORS", DAEDALUS_CODEC_VP8 },
};

int h264_vector_find(const char *dir, const char *name, struct h264_vector *out)
{
	struct h264_vector *v;
	int n, i, found = -1;
	unsigned s;

	for (s = 0; s < H264_NUM_SUITES && found; s++) {
		n = h264_suite_load(dir, h264_suites[s], &v);
		for (i = 0; i < n && found; i++) {
			if (!strcmp(v[i].name, name)) {
				*out = v[i];
				found = 0;
			}
		}
		if (n > 0)
			free(v);
	}
	return found;
}

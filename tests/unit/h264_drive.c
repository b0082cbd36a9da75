/* SPDX-License-Identifier: BSD-2-Clause */
/* Test side: the H.264 backend driven like the core does (h264_drive.h). */
#include "h264_drive.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "job_check.h"

#define ALIGN(x, a)	(((x) + (a) - 1) / (a) * (a))

int h264_pool_init(struct h264_pool *p, int n, size_t length, uint64_t id_base)
{
	int i;

	memset(p, 0, sizeof(*p));
	if (n > H264_POOL_MAX)
		return -1;
	p->cache = dd_bufmap_cache_new();
	p->n = n;
	p->length = length;
	p->id_base = id_base;
	for (i = 0; i < n; i++) {
		p->fd[i] = memfd_create("capture", MFD_CLOEXEC);
		if (p->fd[i] < 0 || ftruncate(p->fd[i], (off_t)length))
			return -1;
	}
	return p->cache ? 0 : -1;
}

void h264_pool_free(struct h264_pool *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		close(p->fd[i]);
	dd_bufmap_cache_free(p->cache);
}

struct dd_bufmap *h264_pool_get(struct h264_pool *p, int i)
{
	return dd_bufmap_cache_get(p->cache, p->id_base + (uint64_t)i,
				   dup(p->fd[i]), p->length, 1);
}

void h264_set_format(struct daedalus_job *msg, const struct h264_picture *pic)
{
	struct daedalus_picture_format *f = &msg->picture_format;
	int p010 = pic->depth > 8;

	f->pixelformat = p010 ? V4L2_PIX_FMT_P010 : V4L2_PIX_FMT_NV12;
	f->width = (uint32_t)pic->width;
	f->height = ALIGN((uint32_t)pic->height, 32);
	f->bytesperline = ALIGN((uint32_t)pic->width, 128) * (p010 ? 2 : 1);
	f->sizeimage = f->bytesperline * f->height * 3 / 2 + 4096;
}

size_t h264_capture_length(const struct h264_stream *s)
{
	static struct daedalus_job msg;
	size_t m = 0;
	int i;

	for (i = 0; i < s->npics; i++) {
		h264_set_format(&msg, &s->pics[i]);
		if (msg.picture_format.sizeimage > m)
			m = msg.picture_format.sizeimage;
	}
	return ALIGN(m, 4096);
}

void h264_fill_job(struct daedalus_job *msg, const struct h264_picture *pic,
		   uint64_t seq, uint64_t buf_id)
{
	memset(msg, 0, sizeof(*msg));
	msg->hdr.magic = DAEDALUS_MAGIC;
	msg->hdr.version = DAEDALUS_PROTO_VERSION;
	msg->hdr.type = DAEDALUS_MSG_JOB;
	msg->hdr.size = sizeof(*msg);
	msg->seq = seq;
	msg->ctx_id = 1;
	msg->timestamp = (uint64_t)(pic->frame + 1) * 1000;
	msg->codec = DAEDALUS_CODEC_H264;
	msg->flags = pic->first_of_pair ? DAEDALUS_JOB_HOLD_CAPTURE : 0;
	msg->coded_width = (uint32_t)pic->width;
	msg->coded_height = (uint32_t)pic->height;
	h264_set_format(msg, pic);
	msg->bitstream.id = 1;
	msg->bitstream.fd = -1;
	msg->bitstream.bytesused = (uint32_t)pic->slices_len;
	msg->bitstream.length = (uint32_t)pic->slices_len;
	msg->picture.id = buf_id;
	msg->picture.fd = -1;
	msg->params.h264 = pic->params;
}

void h264_fill_job_fds(struct daedalus_job *msg, const struct h264_picture *pic,
		       uint64_t seq, const struct h264_pool *pool, int slot,
		       int bs_fd, size_t bs_len, struct h264_client_dpb *dpb)
{
	h264_fill_job(msg, pic, seq, pool->id_base + (uint64_t)slot);
	msg->bitstream.fd = dup(bs_fd);
	msg->bitstream.length = (uint32_t)bs_len;
	msg->picture.fd = dup(pool->fd[slot]);
	msg->picture.length = (uint32_t)pool->length;
	h264_client_dpb_fill(dpb, pic, &msg->params.h264);
}

int h264_decode_job(const struct dd_backend *b, void *dec,
		    struct h264_pool *pool, int slot,
		    const struct daedalus_job *msg, const uint8_t *bits,
		    size_t len, struct dd_result *res, uint8_t **data)
{
	struct dd_bufmap *map = h264_pool_get(pool, slot);
	struct dd_job job;
	int ret;

	if (!map)
		return -1;
	memset(&job, 0, sizeof(job));
	job.msg = msg;
	job.bitstream.data = bits;
	job.bitstream.size = len;
	/* as context.c: the picture starts at the job's offset */
	job.picture.data = dd_bufmap_data(map) + msg->picture.offset;
	job.picture.size = dd_bufmap_length(map) - msg->picture.offset;
	job.picture.format = &msg->picture_format;
	job.picture.buf_id = pool->id_base + (uint64_t)slot;
	job.picture.map = map;
	ret = b->decode(dec, &job, res);
	*data = dd_bufmap_data(map) + msg->picture.offset;
	/* the cache keeps the mapping; the backend took its own references */
	dd_bufmap_unref(map);
	return ret;
}

uint8_t *h264_capture_yuv(const uint8_t *data,
			  const struct daedalus_picture_format *f,
			  const struct h264_crop *c, size_t *len)
{
	int p010 = f->pixelformat == V4L2_PIX_FMT_P010, bps = p010 ? 2 : 1;
	int cw = (c->w + 1) / 2, ch = (c->h + 1) / 2, x, y, pl;
	const uint8_t *uv = data + (size_t)f->bytesperline * f->height;
	uint8_t *out, *o;

	*len = (size_t)(c->w * c->h + 2 * cw * ch) * bps;
	out = malloc(*len);
	if (!out)
		return NULL;
	o = out;
	for (y = 0; y < c->h; y++) {
		const uint8_t *s = data + (size_t)(y + c->y) * f->bytesperline +
				   (size_t)c->x * bps;

		for (x = 0; x < c->w; x++) {
			if (p010) {
				uint16_t v = (uint16_t)((s[2 * x] | s[2 * x + 1] << 8) >> 6);

				*o++ = (uint8_t)v;
				*o++ = (uint8_t)(v >> 8);
			} else {
				*o++ = s[x];
			}
		}
	}
	for (pl = 0; pl < 2; pl++) {
		for (y = 0; y < ch; y++) {
			const uint8_t *s = uv + (size_t)(y + c->y / 2) * f->bytesperline +
					   (size_t)(c->x / 2) * 2 * bps;

			if (f->pixelformat == V4L2_PIX_FMT_YUV420) {
				struct dd_chroma_plane cp = dd_picture_chroma(f, (unsigned int)pl);

				memcpy(o, data + cp.offset + (size_t)(y + c->y / 2) * cp.stride +
				       (size_t)(c->x / 2), (size_t)cw);
				o += cw;
				continue;
			}
			for (x = 0; x < cw; x++) {
				if (p010) {
					const uint8_t *q = s + (2 * x + pl) * 2;
					uint16_t v = (uint16_t)((q[0] | q[1] << 8) >> 6);

					*o++ = (uint8_t)v;
					*o++ = (uint8_t)(v >> 8);
				} else {
					*o++ = s[2 * x + pl];
				}
			}
		}
	}
	return out;
}

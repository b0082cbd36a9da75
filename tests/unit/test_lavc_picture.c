/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The picture layer keeps get_buffer2's contract (issue 8): every plane of
 * a frame it hands libavcodec lies inside one of the frame's AVBufferRefs,
 * in place (luma in the job's CAPTURE buffer) or not, and the CAPTURE
 * mapping lives as long as those references, even after the kernel said
 * the buffer is gone.  Calls get_buffer2 as libavcodec would, on a real
 * H.264 decoder context.
 */
#include <stdio.h>
#include <string.h>
#include <linux/videodev2.h>

#include "bufmap.h"
#include "dd_test.h"
#include "fixture.h"
#include "lavc_decoder.h"

#define W	176
#define H	144
#define BPL	256u
#define ROWS	160u
#define LEN	(1u << 20)

static int covered(const AVFrame *f, int plane, size_t bytes)
{
	const uint8_t *p = f->data[plane];

	for (int j = 0; j < AV_NUM_DATA_POINTERS && f->buf[j]; j++)
		if (p >= f->buf[j]->data &&
		    p + bytes <= f->buf[j]->data + f->buf[j]->size)
			return 1;
	return 0;
}

/* One picture through get_buffer2: in place when @offset keeps alignment. */
static void one_picture(struct dd_lavc_decoder *d, struct dd_bufmap_cache *cache,
			uint64_t id, uint32_t offset, int want_in_place)
{
	struct daedalus_picture_format fmt = {
		.pixelformat = V4L2_PIX_FMT_NV12, .width = W, .height = ROWS,
		.bytesperline = BPL, .sizeimage = BPL * ROWS * 3 / 2,
	};
	struct daedalus_job msg;
	struct dd_bufmap *map = dd_bufmap_cache_get(cache, id, fx_memfd(LEN, 0),
						    LEN, 1);
	struct dd_job job;
	AVFrame *f = d->av->av_frame_alloc();
	struct dd_lavc_pic *pic;

	CHECK(map && f);
	if (!map || !f)
		return;
	memset(&msg, 0, sizeof(msg));
	memset(&job, 0, sizeof(job));
	job.msg = &msg;
	job.picture.data = dd_bufmap_data(map) + offset;
	job.picture.size = LEN - offset;
	job.picture.format = &fmt;
	job.picture.buf_id = id;
	job.picture.map = map;

	f->width = W;
	f->height = H;
	f->format = AV_PIX_FMT_YUV420P;
	dd_lavc_pictures_begin(&d->pics, &job, 0);
	CHECK_EQ(d->avctx->get_buffer2(d->avctx, f, 0), 0);
	pic = dd_lavc_pictures_end(&d->pics);
	CHECK(pic != NULL);
	CHECK_EQ(f->data[0] == job.picture.data, want_in_place);
	CHECK(covered(f, 0, (size_t)f->linesize[0] * H));
	CHECK(covered(f, 1, (size_t)f->linesize[1] * (H / 2)));
	CHECK(covered(f, 2, (size_t)f->linesize[2] * (H / 2)));

	/* The kernel forgets the buffer, the job ends: lavc's refs keep it. */
	dd_bufmap_cache_forget(cache, id);
	dd_bufmap_unref(map);
	dd_lavc_pictures_done(&d->pics);
	memset(f->data[0], 0x5a, (size_t)f->linesize[0] * H);
	memset(f->data[1], 0x5a, (size_t)f->linesize[1] * (H / 2));
	d->av->av_frame_free(&f);	/* lavc's last reference */
}

int main(void)
{
	struct dd_lavc_decoder d;
	struct dd_bufmap_cache *cache = dd_bufmap_cache_new();

	if (dd_lavc_decoder_open(&d, AV_CODEC_ID_H264, 1, 0)) {
		fprintf(stderr, "test_lavc_picture: no libavcodec H.264 decoder\n");
		return 1;
	}
	CHECK(cache != NULL);
	one_picture(&d, cache, 1, 0, 1);	/* luma in place */
	one_picture(&d, cache, 2, 1, 0);	/* odd offset: all in scratch */
	CHECK(d.pics.live == NULL);		/* every picture released */
	dd_lavc_decoder_close(&d);
	dd_bufmap_cache_free(cache);
	return dd_test_result("test_lavc_picture");
}

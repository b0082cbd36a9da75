/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lavc_decoder.h"

int dd_lavc_decoder_open(struct dd_lavc_decoder *d, enum AVCodecID id,
			 unsigned int threads, int frame_threads)
{
	const struct dd_lavc *av = dd_lavc_load();
	const AVCodec *codec;

	memset(d, 0, sizeof(*d));
	if (!av)
		return -ENOENT;	/* dd_lavc_backend_unavailable() says why */
	codec = av->avcodec_find_decoder(id);
	if (!codec)
		return -ENOENT;
	d->av = av;
	d->avctx = av->avcodec_alloc_context3(codec);
	d->pkt = av->av_packet_alloc();
	d->frame = av->av_frame_alloc();
	if (!d->avctx || !d->pkt || !d->frame ||
	    dd_lavc_pictures_init(&d->pics, av, d->avctx))
		goto fail;
	d->avctx->thread_count = (int)threads;
	d->avctx->thread_type = frame_threads ? FF_THREAD_FRAME : FF_THREAD_SLICE;
#if LIBAVCODEC_VERSION_MAJOR < 60
	/*
	 * lavc 59 calls get_buffer2 of a frame thread back on the thread
	 * sending packets unless told it is thread-safe (it is): the frame
	 * would wait for the next packet.  lavc 60 always calls it from the
	 * frame threads.
	 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	d->avctx->thread_safe_callbacks = 1;
#pragma GCC diagnostic pop
#endif
	if (av->avcodec_open2(d->avctx, codec, NULL) < 0)
		goto fail_open;
	return 0;

fail_open:
	av->avcodec_free_context(&d->avctx);
	dd_lavc_pictures_fini(&d->pics);
fail:
	av->av_frame_free(&d->frame);
	av->av_packet_free(&d->pkt);
	av->avcodec_free_context(&d->avctx);
	return -ENOMEM;
}

void dd_lavc_decoder_close(struct dd_lavc_decoder *d)
{
	const struct dd_lavc *av = d->av;

	dd_lavc_pictures_done(&d->pics);
	/* Releases every picture while the layer is still valid. */
	av->avcodec_free_context(&d->avctx);
	dd_lavc_pictures_fini(&d->pics);
	av->av_frame_free(&d->frame);
	av->av_packet_free(&d->pkt);
	free(d->pkt_buf);
}

void dd_lavc_decoder_flush(struct dd_lavc_decoder *d)
{
	dd_lavc_pictures_done(&d->pics);
	d->av->avcodec_flush_buffers(d->avctx);
}

void dd_lavc_packet_reset(struct dd_lavc_decoder *d)
{
	d->pkt_len = 0;
}

int dd_lavc_packet_append(struct dd_lavc_decoder *d, const uint8_t *data,
			  size_t size)
{
	size_t need = d->pkt_len + size + AV_INPUT_BUFFER_PADDING_SIZE;

	if (size > INT32_MAX || need > INT32_MAX)
		return -ENOMEM;
	if (need > d->pkt_cap) {
		uint8_t *p = realloc(d->pkt_buf, need * 2);

		if (!p)
			return -ENOMEM;
		d->pkt_buf = p;
		d->pkt_cap = need * 2;
	}
	memcpy(d->pkt_buf + d->pkt_len, data, size);
	d->pkt_len += size;
	memset(d->pkt_buf + d->pkt_len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	return 0;
}

int dd_lavc_decoder_send(struct dd_lavc_decoder *d, const struct dd_job *job,
			 unsigned int target_call, struct dd_lavc_pic **pic)
{
	const struct dd_lavc *av = d->av;
	int ret;

	*pic = NULL;
	if (!d->pkt_len)	/* an empty packet would end the stream */
		return AVERROR_INVALIDDATA;
	dd_lavc_pictures_begin(&d->pics, job, target_call);
	d->pkt->data = d->pkt_buf;
	d->pkt->size = (int)d->pkt_len;
	d->pkt->pts = (int64_t)job->msg->timestamp;
	ret = av->avcodec_send_packet(d->avctx, d->pkt);
	*pic = dd_lavc_pictures_end(&d->pics);
	/* Pending output frames block new input: drain them, always. */
	while (av->avcodec_receive_frame(d->avctx, d->frame) >= 0) {
		dd_lavc_pictures_note_output(&d->pics, d->frame);
		av->av_frame_unref(d->frame);
	}
	return ret;
}

int dd_lavc_backend_open(void **decoder, size_t size, enum AVCodecID id,
			 const struct dd_decoder_config *cfg)
{
	struct dd_lavc_decoder *d = calloc(1, size);
	int ret;

	if (!d)
		return -ENOMEM;
	ret = dd_lavc_decoder_open(d, id, cfg->threads, 0);
	if (ret) {
		free(d);
		return ret;
	}
	*decoder = d;
	return 0;
}

void dd_lavc_backend_close(void *decoder)
{
	dd_lavc_decoder_close(decoder);
	free(decoder);
}

const char *dd_lavc_backend_unavailable(enum AVCodecID id)
{
	const struct dd_lavc *av = dd_lavc_load();

	if (!av)
		return dd_lavc_error();
	if (!av->avcodec_find_decoder(id))
		return "libavcodec was built without this decoder";
	return NULL;
}

int dd_lavc_decode_picture(struct dd_lavc_decoder *d, const struct dd_job *job,
			   const char *corrupt, int reads_any_held,
			   struct dd_result *result)
{
	struct dd_lavc_pictures *pics = &d->pics;
	struct dd_lavc_pic *pic;
	long bytes;
	int ret;

	result->status = DAEDALUS_STATUS_FAILED;
	result->bytesused = 0;
	dd_lavc_packet_reset(d);
	ret = dd_lavc_packet_append(d, job->bitstream.data, job->bitstream.size);
	if (ret)
		return ret;
	ret = dd_lavc_decoder_send(d, job, 0, &pic);
	if (ret < 0)
		corrupt = "libavcodec reported an error in the bitstream";
	if (!pic || pics->calls != 1) {
		dd_lavc_pictures_done(pics);
		result->why = ret < 0 ? corrupt : "libavcodec decoded no single picture";
		return 0;
	}
	if (reads_any_held && dd_lavc_pictures_tainted(pics))
		corrupt = "a re-queued CAPTURE buffer overwrote a picture libavcodec still holds";
	if (pic->error_flags)
		corrupt = "libavcodec concealed errors in the picture";
	bytes = dd_lavc_pic_output(pics, pic, &job->picture);
	if (bytes < 0) {
		dd_lavc_pictures_done(pics);
		result->why = "the picture does not fit the CAPTURE format";
		return 0;
	}
	if (corrupt)
		pic->tainted = 1;	/* what predicts from it is wrong too */
	dd_lavc_pic_set_ts(pic, job->msg->timestamp);
	dd_lavc_pictures_done(pics);

	result->status = corrupt ? DAEDALUS_STATUS_CORRUPT : DAEDALUS_STATUS_OK;
	result->why = corrupt;
	result->bytesused = job->picture.format->sizeimage;
	result->bytes_copied = (uint64_t)bytes;
	return 0;
}

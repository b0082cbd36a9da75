/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libavcodec/libavutil loaded at run time.
 *
 * The daemon is compiled against the FFmpeg headers (struct layouts such
 * as AVCodecContext and AVFrame differ between major versions) but never
 * linked with FFmpeg: the libraries are dlopen()ed by the soname of the
 * headers' major version, once per process.  daedalusd loads them at
 * start, before HELLO, whenever a libavcodec backend (h264, vp8, vp9) is
 * in use: a codec is announced only if its backend can run
 * (dd_backend_codec_mask()), and a cold load can outlast the kernel's job
 * timeout (main.c).  A daemon forced to another backend (--backend
 * pattern, av1) never pays for libavcodec (about 13 ms and 95 shared
 * libraries on Debian 12).
 *
 * DAEDALUS_LIBAVCODEC_SONAME, if set, is dlopen()ed instead of libavcodec:
 * the unit tests name a library that does not exist to take libavcodec
 * away (tests/unit/test_offer.c).
 */
#ifndef DAEDALUS_LAVC_H
#define DAEDALUS_LAVC_H

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

/* The functions the backends use; NULL until dd_lavc_load() succeeded. */
struct dd_lavc {
	unsigned (*avcodec_version)(void);
	const AVCodec *(*avcodec_find_decoder)(enum AVCodecID id);
	AVCodecContext *(*avcodec_alloc_context3)(const AVCodec *codec);
	int (*avcodec_open2)(AVCodecContext *ctx, const AVCodec *codec,
			     AVDictionary **options);
	void (*avcodec_free_context)(AVCodecContext **ctx);
	int (*avcodec_send_packet)(AVCodecContext *ctx, const AVPacket *pkt);
	int (*avcodec_receive_frame)(AVCodecContext *ctx, AVFrame *frame);
	void (*avcodec_flush_buffers)(AVCodecContext *ctx);
	void (*avcodec_align_dimensions2)(AVCodecContext *ctx, int *width,
					  int *height, int linesize_align[]);
	AVPacket *(*av_packet_alloc)(void);
	void (*av_packet_free)(AVPacket **pkt);
	/* The stream parsers (the stateful node splits H.264 with them). */
	AVCodecParserContext *(*av_parser_init)(int codec_id);
	int (*av_parser_parse2)(AVCodecParserContext *s, AVCodecContext *avctx,
				uint8_t **poutbuf, int *poutbuf_size,
				const uint8_t *buf, int buf_size, int64_t pts,
				int64_t dts, int64_t pos);
	void (*av_parser_close)(AVCodecParserContext *s);

	unsigned (*avutil_version)(void);
	AVFrame *(*av_frame_alloc)(void);
	void (*av_frame_free)(AVFrame **frame);
	void (*av_frame_unref)(AVFrame *frame);
	void (*av_frame_move_ref)(AVFrame *dst, AVFrame *src);
	AVBufferRef *(*av_buffer_create)(uint8_t *data, size_t size,
					 void (*free)(void *opaque, uint8_t *data),
					 void *opaque, int flags);
	void (*av_buffer_unref)(AVBufferRef **buf);
	void (*av_log_set_level)(int level);
	void (*av_log_set_callback)(void (*cb)(void *, int, const char *,
					       va_list));
};

/*
 * Loads both libraries and resolves every symbol, once per process
 * (thread-safe; later calls return the first outcome).  Returns the table,
 * or NULL (library missing, wrong version, symbol missing: dd_lavc_error()
 * says which; the caller logs it, daedalusd at start).
 */
const struct dd_lavc *dd_lavc_load(void);

/* The reason the last dd_lavc_load() failed, or "" if it did not. */
const char *dd_lavc_error(void);

#endif /* DAEDALUS_LAVC_H */

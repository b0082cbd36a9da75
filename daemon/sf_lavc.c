/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stream decoder for H.264 (Annex B), VP8 and VP9: libavcodec
 * (sf_backend.h).
 *
 * H.264 chunks of any split go through libavcodec's parser, which cuts
 * the byte stream into access units (a field is one); each carries the
 * timestamp of the chunk holding its first start code.  The parser holds
 * an access unit until the next one begins: end_of_input() flushes it.
 * VP8 and VP9 chunks are one frame (or superframe) each and go to the
 * decoder whole.
 *
 * The pictures are the decoder's own buffers, handed out as the visible
 * rectangle (the crop applied by pointer offsets: apply_cropping is off).
 * The decoder runs with the parser's input only from pull(), so what
 * peek_format() knows is what pull() has fed.  H.264 decodes with
 * FF_COMPLIANCE_STRICT: the reorder depth is the SPS's (or the level's)
 * from the first slice on, never raised mid-stream (which loses pictures
 * of the JVT vectors), and it is also min_buffers.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lavc.h"
#include "log.h"
#include "sf_backend.h"
#include "sf_colorimetry.h"
#include "sf_input.h"
#include "sf_lavc.h"

#define SF_LAVC_MAX_BUFFERS	32
/* An access unit larger than any picture at 4096x2304 could need: garbage. */
#define SF_LAVC_MAX_UNIT	(64u << 20)

struct sf_lavc_codec {
	enum daedalus_codec codec;
	enum AVCodecID id;
	int parsed;	/* a byte stream: split by libavcodec's parser */
};

static const struct sf_lavc_codec sf_lavc_codecs[] = {
	{ DAEDALUS_CODEC_H264, AV_CODEC_ID_H264, 1 },
	{ DAEDALUS_CODEC_VP8, AV_CODEC_ID_VP8, 0 },
	{ DAEDALUS_CODEC_VP9, AV_CODEC_ID_VP9, 0 },
};

#define SF_LAVC_NUM_CODECS (sizeof(sf_lavc_codecs) / sizeof(sf_lavc_codecs[0]))

struct sf_lavc {
	const struct dd_lavc *av;
	const struct sf_lavc_codec *codec;
	AVCodecContext *avctx;
	AVCodecContext *parser_ctx;	/* what the parser writes, apart */
	AVCodecParserContext *parser;	/* parsed codecs only */
	AVPacket *pkt;
	AVFrame *frame;			/* the picture handed out, if any */
	struct dd_sf_input in;
	uint64_t parsed_bytes;		/* stream offset of the parser's next packet */
	int parser_flushed;		/* the parser gave its last packet */
	int drain_sent;			/* the decoder was told the stream ended */
	int keyed;			/* a key frame (H.264: IDR) was sent since reset */
};

static const struct sf_lavc_codec *codec_of(enum daedalus_codec codec)
{
	for (size_t i = 0; i < SF_LAVC_NUM_CODECS; i++)
		if (sf_lavc_codecs[i].codec == codec)
			return &sf_lavc_codecs[i];
	return NULL;
}

/* Whether this libavcodec has @c's decoder and, if it needs one, its parser. */
static int codec_loads(const struct dd_lavc *av, const struct sf_lavc_codec *c)
{
	AVCodecParserContext *parser;

	if (!av->avcodec_find_decoder(c->id))
		return 0;
	if (!c->parsed)
		return 1;
	parser = av->av_parser_init(c->id);
	if (!parser)
		return 0;
	av->av_parser_close(parser);
	return 1;
}

uint32_t dd_sf_lavc_codecs(void)
{
	const struct dd_lavc *av = dd_lavc_load();
	uint32_t mask = 0;

	if (!av)
		return 0;
	for (size_t i = 0; i < SF_LAVC_NUM_CODECS; i++)
		if (codec_loads(av, &sf_lavc_codecs[i]))
			mask |= DAEDALUS_CODEC_BIT(sf_lavc_codecs[i].codec);
	return mask;
}

static const char *sf_lavc_unavailable(void)
{
	if (!dd_lavc_load())
		return dd_lavc_error();
	if (!dd_sf_lavc_codecs())
		return "libavcodec has none of the H.264 (with its parser), VP8 and VP9 decoders";
	return NULL;
}

static int open_parser(struct sf_lavc *d)
{
	if (!d->codec->parsed)
		return 0;
	d->parser = d->av->av_parser_init(d->codec->id);
	return d->parser ? 0 : -ENOENT;
}

static void sf_lavc_close(void *decoder)
{
	struct sf_lavc *d = decoder;
	const struct dd_lavc *av = d->av;

	if (d->parser)
		av->av_parser_close(d->parser);
	av->avcodec_free_context(&d->parser_ctx);
	av->avcodec_free_context(&d->avctx);
	av->av_frame_free(&d->frame);
	av->av_packet_free(&d->pkt);
	dd_sf_input_free(&d->in);
	free(d);
}

static int sf_lavc_open(void **decoder, const struct dd_sf_config *cfg)
{
	const struct dd_lavc *av = dd_lavc_load();
	const struct sf_lavc_codec *c = codec_of(cfg->codec);
	const AVCodec *codec;
	struct sf_lavc *d;

	if (!av || !c || !codec_loads(av, c))
		return -ENOENT;
	codec = av->avcodec_find_decoder(c->id);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->av = av;
	d->codec = c;
	dd_sf_input_init(&d->in);
	d->avctx = av->avcodec_alloc_context3(codec);
	d->parser_ctx = av->avcodec_alloc_context3(codec);
	d->pkt = av->av_packet_alloc();
	d->frame = av->av_frame_alloc();
	if (!d->avctx || !d->parser_ctx || !d->pkt || !d->frame || open_parser(d))
		goto fail;
	d->avctx->thread_count = cfg->threads ? (int)cfg->threads : 1;
	d->avctx->thread_type = FF_THREAD_SLICE;
	d->avctx->apply_cropping = 0;	/* by pointer offsets: any crop is exact */
	if (c->parsed)
		d->avctx->strict_std_compliance = FF_COMPLIANCE_STRICT;
	if (av->avcodec_open2(d->avctx, codec, NULL) < 0)
		goto fail;
	*decoder = d;
	return 0;

fail:
	sf_lavc_close(d);
	return -ENOMEM;
}

static int sf_lavc_push(void *decoder, const uint8_t *data, size_t size,
			uint64_t timestamp)
{
	struct sf_lavc *d = decoder;

	return dd_sf_input_push(&d->in, data, size, timestamp);
}

static int sf_lavc_end_of_input(void *decoder)
{
	struct sf_lavc *d = decoder;

	return dd_sf_input_end(&d->in);
}

/* Where the access unit in @data begins: its first start code prefix. */
static size_t first_start_code(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 2 < size; i++)
		if (!data[i] && !data[i + 1] && data[i + 2] == 1)
			return i;
	return 0;
}

/* Sends @size bytes (not kept by libavcodec after the call) with @ts. */
static int send(struct sf_lavc *d, const uint8_t *data, size_t size, uint64_t ts)
{
	int ret;

	if (size > INT_MAX)
		return -EFBIG;
	d->pkt->data = (uint8_t *)data;
	d->pkt->size = (int)size;
	d->pkt->pts = (int64_t)ts;
	ret = d->av->avcodec_send_packet(d->avctx, d->pkt);
	d->pkt->data = NULL;
	d->pkt->size = 0;
	/* A damaged packet: its pictures are concealed or missing; go on. */
	if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF || ret == AVERROR(ENOMEM))
		return ret == AVERROR(ENOMEM) ? -ENOMEM : -EIO;
	if (ret < 0)
		dd_dbg("sf lavc: the decoder refused a packet (%d)", ret);
	return 0;
}

/* Whether H.264 access unit @data holds an IDR slice (NAL type 5). */
static int has_idr(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 3 < size; i++)
		if (!data[i] && !data[i + 1] && data[i + 2] == 1 &&
		    (data[i + 3] & 0x1f) == 5)
			return 1;
	return 0;
}

/* Gives the parser what it holds; 1 when a packet went to the decoder. */
static int feed_parsed(struct sf_lavc *d)
{
	const struct dd_lavc *av = d->av;
	const uint8_t *data;
	uint8_t *out = NULL;
	int out_size = 0, used;
	uint64_t begin, ts = 0;
	size_t len;

	for (;;) {
		data = dd_sf_input_data(&d->in, &len);
		if (!len && (!d->in.ended || d->parser_flushed))
			return 0;
		if (len > INT_MAX / 2)
			len = INT_MAX / 2;
		/* No bytes: the parser's last packet, after end_of_input(). */
		used = av->av_parser_parse2(d->parser, d->parser_ctx, &out, &out_size,
					    len ? data : NULL, (int)len,
					    AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
		if (!len)
			d->parser_flushed = 1;
		if (used < 0 || (size_t)used > len)
			return -EIO;
		dd_sf_input_consume(&d->in, (size_t)used);
		if (out_size > 0)
			break;
		/* The parser keeps what has no end yet: garbage must not grow it for ever. */
		if (dd_sf_input_offset(&d->in) - d->parsed_bytes > SF_LAVC_MAX_UNIT)
			return -EBADMSG;
		if (!used && len)
			return -EIO;	/* no progress: never seen */
	}
	begin = d->parsed_bytes + first_start_code(out, (size_t)out_size);
	d->parsed_bytes += (size_t)out_size;
	if (dd_sf_input_ts_at(&d->in, begin, &ts))
		dd_dbg("sf h264: no chunk holds offset %llu", (unsigned long long)begin);
	if (has_idr(out, (size_t)out_size))
		d->keyed = 1;
	used = send(d, out, (size_t)out_size, ts);
	return used < 0 ? used : 1;
}

/*
 * Whether VP8/VP9 frame @data (a superframe's first) is a key frame: the
 * frame tag's bit 0 clear (RFC 6386 9.1), or frame_type 0 in a VP9
 * uncompressed header not showing an existing frame.
 */
static int chunk_is_key(enum daedalus_codec codec, const uint8_t *data, size_t len)
{
	unsigned int profile, bit;

	if (len < 3)
		return 0;
	if (codec == DAEDALUS_CODEC_VP8)
		return !(data[0] & 1);
	if ((data[0] >> 6) != 2)	/* frame_marker */
		return 0;
	profile = ((data[0] >> 5) & 1) | (((data[0] >> 4) & 1) << 1);
	bit = profile == 3 ? 3 : 4;	/* profile 3 has a reserved bit */
	if ((data[0] >> (bit - 1)) & 1)	/* show_existing_frame */
		return 0;
	return !((data[0] >> (bit - 2)) & 1);	/* frame_type */
}

/* Sends the next whole chunk; 1 when one went to the decoder. */
static int feed_chunk(struct sf_lavc *d)
{
	size_t len = dd_sf_input_chunk_len(&d->in), unread;
	const uint8_t *data = dd_sf_input_data(&d->in, &unread);
	uint64_t ts = 0;
	int ret;

	if (!len)
		return 0;
	dd_sf_input_ts_at(&d->in, dd_sf_input_offset(&d->in), &ts);
	if (chunk_is_key(d->codec->codec, data, len))
		d->keyed = 1;
	ret = send(d, data, len, ts);
	dd_sf_input_consume(&d->in, len);
	return ret < 0 ? ret : 1;
}

/* Feeds the decoder: 1 fed (or drained), 0 nothing to feed, or -errno. */
static int feed(struct sf_lavc *d)
{
	int ret = d->parser ? feed_parsed(d) : feed_chunk(d);

	if (ret || !d->in.ended || d->drain_sent)
		return ret;
	d->drain_sent = 1;
	if (d->av->avcodec_send_packet(d->avctx, NULL) < 0)
		return -EIO;
	return 1;
}

static int depth_of(int format, int *gray)
{
	*gray = format == AV_PIX_FMT_GRAY8 || format == AV_PIX_FMT_GRAY10;
	switch (format) {
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_YUVJ420P:
	case AV_PIX_FMT_GRAY8:
		return 8;
	case AV_PIX_FMT_YUV420P10:
	case AV_PIX_FMT_GRAY10:
		return 10;
	default:
		return 0;
	}
}

static unsigned int min_buffers(const AVCodecContext *avctx)
{
	int held = avctx->has_b_frames;

	if (held < 0)
		held = 0;
	if (held > SF_LAVC_MAX_BUFFERS - 1)
		held = SF_LAVC_MAX_BUFFERS - 1;
	return (unsigned int)held + 1;
}

static void colour(struct dd_sf_stream_format *f, int primaries, int transfer,
		   int matrix, enum AVColorRange range)
{
	struct dd_sf_colorimetry c = dd_sf_colorimetry(
		primaries, transfer, matrix,
		range == AVCOL_RANGE_JPEG ? 1 : range == AVCOL_RANGE_MPEG ? 0 : -1);

	f->colorspace = c.colorspace;
	f->xfer_func = c.xfer_func;
	f->ycbcr_enc = c.ycbcr_enc;
	f->quantization = c.quantization;
}

static const char *corrupt_reason(const AVFrame *fr)
{
	int e = fr->decode_error_flags;

	if (e & FF_DECODE_ERROR_MISSING_REFERENCE)
		return "libavcodec: a reference picture is missing";
	if (e & FF_DECODE_ERROR_INVALID_BITSTREAM)
		return "libavcodec: the bitstream is invalid";
	if (e & FF_DECODE_ERROR_DECODE_SLICES)
		return "libavcodec: slices are missing";
	if (e & FF_DECODE_ERROR_CONCEALMENT_ACTIVE)
		return "libavcodec concealed errors in the picture";
	if (fr->flags & AV_FRAME_FLAG_CORRUPT)
		return "libavcodec marked the picture corrupt";
	return NULL;
}

static int is_key(const AVFrame *fr)
{
#ifdef AV_FRAME_FLAG_KEY
	return !!(fr->flags & AV_FRAME_FLAG_KEY);
#else
	return fr->key_frame;
#endif
}

/* d->frame into @pic; 0, or -ENOTSUP (a sampling the node has no format for). */
static int picture(struct sf_lavc *d, struct dd_sf_picture *pic)
{
	const AVFrame *fr = d->frame;
	size_t left = fr->crop_left, top = fr->crop_top, bps;
	struct dd_planar *p = &pic->planes;
	int gray, depth = depth_of(fr->format, &gray);

	if (!depth || fr->width <= 0 || fr->height <= 0 ||
	    fr->crop_left + fr->crop_right >= (size_t)fr->width ||
	    fr->crop_top + fr->crop_bottom >= (size_t)fr->height)
		return -ENOTSUP;
	bps = depth > 8 ? 2 : 1;
	memset(pic, 0, sizeof(*pic));
	pic->format.coded_width = (unsigned int)fr->width;
	pic->format.coded_height = (unsigned int)fr->height;
	pic->format.width = (unsigned int)(fr->width - fr->crop_left - fr->crop_right);
	pic->format.height = (unsigned int)(fr->height - fr->crop_top - fr->crop_bottom);
	pic->format.depth = (unsigned int)depth;
	pic->format.min_buffers = min_buffers(d->avctx);
	colour(&pic->format, fr->color_primaries, fr->color_trc, fr->colorspace,
	       fr->color_range);
	p->width = pic->format.width;
	p->height = pic->format.height;
	p->depth = pic->format.depth;
	p->gray = gray;
	for (int i = 0; i < (gray ? 1 : 3); i++) {
		size_t x = i ? left / 2 : left, y = i ? top / 2 : top;

		p->plane[i].data = fr->data[i] + y * (size_t)fr->linesize[i] + x * bps;
		p->plane[i].stride = fr->linesize[i];
	}
	pic->timestamp = (uint64_t)fr->pts;
	/*
	 * Decodable from what came since reset: a key picture, or one decoded
	 * after a key frame.  VP8/VP9: libavcodec gives no picture whose
	 * references it lacks, so one after a key frame qualifies even if that
	 * key frame was not shown (vp80-00-comprehensive-018 begins with a
	 * hidden one).  H.264: libavcodec marks CORRUPT what it decoded before
	 * its first IDR or recovery point; the pictures decoded after an IDR
	 * but shown before it (CVWP2_TOSHIBA_E's first two) are not.
	 */
	pic->key = is_key(fr) ||
		   (d->keyed && (!d->parser || !(fr->flags & AV_FRAME_FLAG_CORRUPT)));
	pic->corrupt = corrupt_reason(fr);
	return 0;
}

static int sf_lavc_pull(void *decoder, struct dd_sf_picture *pic)
{
	struct sf_lavc *d = decoder;
	int ret;

	d->av->av_frame_unref(d->frame);
	while (!d->in.failed) {
		ret = d->av->avcodec_receive_frame(d->avctx, d->frame);
		if (!ret) {
			ret = picture(d, pic);
			if (ret)
				d->in.failed = ret;
			return ret ? ret : DD_SF_PICTURE;
		}
		if (ret == AVERROR_EOF)
			return DD_SF_DRAINED;
		if (ret != AVERROR(EAGAIN)) {
			d->in.failed = -EIO;
			break;
		}
		ret = feed(d);
		if (ret < 0)
			d->in.failed = ret;
		else if (!ret)
			return d->in.ended ? DD_SF_DRAINED : DD_SF_NEED_INPUT;
	}
	return d->in.failed;
}

static int sf_lavc_peek_format(void *decoder, struct dd_sf_stream_format *f)
{
	struct sf_lavc *d = decoder;
	const AVCodecContext *c = d->avctx;
	int gray, depth = depth_of(c->pix_fmt, &gray);

	if (c->width <= 0 || c->height <= 0 || !depth)
		return 0;
	memset(f, 0, sizeof(*f));
	f->coded_width = (unsigned int)c->coded_width;
	f->coded_height = (unsigned int)c->coded_height;
	f->width = (unsigned int)c->width;
	f->height = (unsigned int)c->height;
	f->depth = (unsigned int)depth;
	f->min_buffers = min_buffers(c);
	colour(f, c->color_primaries, c->color_trc, c->colorspace, c->color_range);
	return 1;
}

static void sf_lavc_reset(void *decoder)
{
	struct sf_lavc *d = decoder;
	const struct dd_lavc *av = d->av;

	av->av_frame_unref(d->frame);
	dd_sf_input_reset(&d->in);
	if (d->parser) {
		av->av_parser_close(d->parser);
		d->parser = NULL;
	}
	d->in.failed = open_parser(d);
	av->avcodec_flush_buffers(d->avctx);
	d->parsed_bytes = 0;
	d->parser_flushed = d->drain_sent = d->keyed = 0;
}

const struct dd_sf_backend dd_sf_backend_lavc = {
	.name = "lavc",
	.codecs = DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_H264) |
		  DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP8) |
		  DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP9),
	.unavailable = sf_lavc_unavailable,
	.open = sf_lavc_open,
	.push = sf_lavc_push,
	.end_of_input = sf_lavc_end_of_input,
	.pull = sf_lavc_pull,
	.peek_format = sf_lavc_peek_format,
	.reset = sf_lavc_reset,
	.close = sf_lavc_close,
};

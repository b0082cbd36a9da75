/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP9 backend (profiles 0 and 2): libavcodec's vp9 decoder behind the
 * V4L2 stateless VP9 uAPI.  The OUTPUT buffer holds one whole frame
 * (uncompressed header, compressed header, tiles), fed to lavc as it is;
 * the FRAME control is only checked against the frame's own header, and a
 * job where they disagree is refused, never guessed.
 *
 * Every frame, shown or hidden (show_frame = 0: the client references it
 * later), lands in its own job's CAPTURE buffer.  The decoder's eight
 * reference slots are mirrored (which job's frame each holds), so the
 * references a client names (last/golden/alt timestamps) are checked
 * against what lavc will really predict from.
 *
 * A new stream (STREAMON) resets nothing: clients restart their queues
 * for a resolution change at an inter frame (reference scaling) and go on
 * predicting from the frames decoded before, and after a seek the
 * references they name show whether this decoder holds them.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "lavc_frames.h"
#include "vp9_header.h"

/*
 * Frame threads: lavc decodes two frames at once, the jobs GStreamer keeps
 * in the driver.  lavc's vp9 has frame or tile threads, never both.
 */
#define VP9_FRAME_THREADS	2
/* Jobs held at most: the depth, whatever it is. */
#define VP9_MAX_HELD		VP9_FRAME_THREADS

/* A job held: sent to lavc, or answered without it. */
struct vp9_held {
	const struct dd_job *job;
	int64_t serial;			/* its packet; -1: not sent */
	const char *why;		/* FAILED for this reason */
	const char *corrupt;		/* CORRUPT for this reason */
	int show_existing;
	int restart;			/* nothing earlier is used */
	uint64_t overwrites;		/* pics.overwrites when sent */
};

struct vp9_dec {
	struct dd_lavc_decoder lavc;	/* first: dd_lavc_backend_close() */
	struct dd_lavc_frames frames;
	struct dd_vp9_slots slots;	/* as of the last job sent */
	uint64_t slot_ts[DD_VP9_NUM_REF_FRAMES];	/* job whose frame each holds */
	uint8_t profile;		/* of the last frame sent */
	/*
	 * A frame failed in lavc: under frame threads the threads after it
	 * start from its state, whatever it was, so every frame is CORRUPT
	 * until one that uses nothing earlier.
	 */
	int broken;
	struct vp9_held held[VP9_MAX_HELD];
	unsigned int first, count;
};

static void vp9_close(void *decoder)
{
	struct vp9_dec *dec = decoder;

	dd_lavc_frames_fini(&dec->frames);
	dd_lavc_backend_close(dec);
}

static int vp9_open(void **decoder, const struct dd_decoder_config *cfg)
{
	struct vp9_dec *dec = calloc(1, sizeof(*dec));
	int frame_threads = cfg->threads >= VP9_FRAME_THREADS;
	int ret;

	if (!dec)
		return -ENOMEM;
	ret = dd_lavc_decoder_open(&dec->lavc, AV_CODEC_ID_VP9,
				   frame_threads ? VP9_FRAME_THREADS : 1,
				   frame_threads);
	if (ret) {
		free(dec);
		return ret;
	}
	ret = dd_lavc_frames_init(&dec->frames, &dec->lavc);
	if (ret) {
		dd_lavc_backend_close(dec);
		return ret;
	}
	*decoder = dec;
	return 0;
}

static unsigned int vp9_depth(void *decoder)
{
	const struct vp9_dec *dec = decoder;

	return dec->frames.threads;
}

/* A superframe index ends the buffer (Annex B): the client must split. */
static int has_superframe_index(const uint8_t *d, size_t n)
{
	uint8_t marker;
	size_t index;

	if (!n)
		return 0;
	marker = d[n - 1];
	if ((marker & 0xe0) != 0xc0)
		return 0;
	index = 2 + (size_t)((marker >> 3 & 3) + 1) * ((marker & 7) + 1);
	return n >= index && d[n - index] == marker;
}

/* Why the FRAME control contradicts the frame header, or NULL. */
static const char *check_control(const struct v4l2_ctrl_vp9_frame *f,
				 const struct dd_vp9_header *h)
{
	static const uint32_t flag[] = {
		V4L2_VP9_FRAME_FLAG_KEY_FRAME, V4L2_VP9_FRAME_FLAG_SHOW_FRAME,
		V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT,
		V4L2_VP9_FRAME_FLAG_INTRA_ONLY,
	};
	const int set[] = {
		h->key_frame, h->show_frame, h->error_resilient, h->intra_only,
	};
	unsigned int i, bias = 0;

	for (i = 0; i < sizeof(flag) / sizeof(flag[0]); i++)
		if (!!(f->flags & flag[i]) != set[i])
			return "vp9: FRAME control flags contradict the frame header";
	if (f->profile != h->profile)
		return "vp9: FRAME control profile contradicts the frame header";
	if (h->bit_depth && f->bit_depth != h->bit_depth)
		return "vp9: FRAME control bit depth contradicts the frame header";
	if (h->subsampling_x != 1 || h->subsampling_y != 1)
		return "vp9: only 4:2:0 is supported";
	if (f->frame_width_minus_1 + 1u != h->width ||
	    f->frame_height_minus_1 + 1u != h->height)
		return "vp9: FRAME control size contradicts the frame header";
	if (!h->key_frame && !h->intra_only) {
		for (i = 0; i < DD_VP9_REFS_PER_FRAME; i++)
			bias |= (unsigned int)h->ref_sign_bias[i] << i;
		if (f->ref_frame_sign_bias != bias)
			return "vp9: FRAME control sign bias contradicts the frame header";
	}
	return NULL;
}

static struct vp9_held *held_at(struct vp9_dec *dec, unsigned int i)
{
	return &dec->held[(dec->first + i) % VP9_MAX_HELD];
}

/* A job held, sent to lavc, decodes the frame of timestamp @ts. */
static int decoding(struct vp9_dec *dec, uint64_t ts)
{
	for (unsigned int i = 0; i < dec->count; i++) {
		const struct vp9_held *h = held_at(dec, i);

		if (h->serial >= 0 && !h->show_existing &&
		    h->job->msg->timestamp == ts)
			return 1;
	}
	return 0;
}

/*
 * The references the client names are the frames lavc predicts from, and
 * intact (or still decoding: its failure makes the stream broken).  Only
 * these three are read for prediction: the previous frame lavc also keeps
 * lends motion vectors and segment ids from its own buffers, never
 * samples, so the client may have re-queued its CAPTURE buffer.
 */
static int refs_match(struct vp9_dec *dec, const struct v4l2_ctrl_vp9_frame *f,
		      const struct dd_vp9_header *h)
{
	const uint64_t named[DD_VP9_REFS_PER_FRAME] = {
		f->last_frame_ts, f->golden_frame_ts, f->alt_frame_ts,
	};
	unsigned int i;

	for (i = 0; i < DD_VP9_REFS_PER_FRAME; i++)
		if (dec->slot_ts[h->ref_frame_idx[i]] != named[i] ||
		    !(dd_lavc_pictures_has_ref(&dec->lavc.pics, named[i]) ||
		      decoding(dec, named[i])))
			return 0;
	return 1;
}

/* A slot that holds a frame: what a packet that changes nothing shows. */
static int filled_slot(const struct vp9_dec *dec)
{
	for (int i = 0; i < DD_VP9_NUM_REF_FRAMES; i++)
		if (dec->slots.width[i])
			return i;
	return -1;
}

/*
 * Sends packets that change nothing until lavc retired the packet
 * @serial: a show_existing_frame of a filled slot (its output dropped),
 * or, with no slot filled, lavc's flush (which drops references: there
 * are none).  0, or a negative errno.
 */
static int push_out(struct vp9_dec *dec, int64_t serial)
{
	unsigned int tries;

	for (tries = 0; !dd_lavc_frames_retired(&dec->frames, serial); tries++) {
		int slot = filled_slot(dec);
		/* frame_marker 2, profile (low bit first), show_existing_frame 1 */
		unsigned int bits = 2u << 7 | (dec->profile & 1u) << 6 |
				    (dec->profile >> 1 & 1u) << 5 | 1u << 4 |
				    (unsigned int)slot << 1;
		uint8_t noop[2] = { (uint8_t)(bits >> 1), 0 };
		size_t len = 1;
		int64_t ret;

		if (tries > 2 * VP9_FRAME_THREADS)
			return -EIO;	/* lavc retires no packet: a bug */
		if (slot < 0) {
			ret = dd_lavc_frames_flush(&dec->frames);
			if (ret)
				return (int)ret;
			continue;
		}
		if (dec->profile == 3) {	/* a reserved zero bit before the flag */
			bits = (bits & ~0x1fu) << 1 | (bits & 0x1fu);
			noop[0] = (uint8_t)(bits >> 2);
			noop[1] = (uint8_t)(bits << 6);
			len = 2;
		}
		dd_lavc_packet_reset(&dec->lavc);
		ret = dd_lavc_packet_append(&dec->lavc, noop, len);
		if (!ret)
			ret = dd_lavc_frames_send(&dec->frames, NULL, 0);
		if (ret < 0)
			return (int)ret;
	}
	return 0;
}

static int vp9_submit(void *decoder, const struct dd_job *job)
{
	struct vp9_dec *dec = decoder;
	const struct v4l2_ctrl_vp9_frame *f = &job->msg->params.vp9.frame;
	struct vp9_held *held;
	struct dd_vp9_header h;
	unsigned int i;
	int64_t serial;
	int ret;

	if (dec->count == VP9_MAX_HELD)
		return -EIO;	/* the core never submits beyond the depth */
	held = held_at(dec, dec->count++);
	memset(held, 0, sizeof(*held));
	held->job = job;
	held->serial = -1;
	if (has_superframe_index(job->bitstream.data, job->bitstream.size)) {
		held->why = "vp9: a superframe in one request (the client must split it)";
		return 0;
	}
	if (dd_vp9_parse_header(job->bitstream.data, job->bitstream.size,
				&dec->slots, &h, &held->why))
		return 0;
	if (h.show_existing_frame) {
		/* lavc shows the slot again: its output is the picture. */
		if (!dec->slots.width[h.frame_to_show]) {
			held->why = "vp9: show_existing_frame of a frame this decoder does not hold";
			return 0;
		}
		held->show_existing = 1;
	} else {
		held->why = check_control(f, &h);
		if (held->why)
			return 0;
		if (!h.key_frame && !h.intra_only && !refs_match(dec, f, &h))
			held->corrupt = "vp9: the client's references are not the frames this decoder holds (seek or dropped jobs?)";
		/*
		 * Decoding may restart where nothing earlier is used: a key
		 * frame, or an intra-only frame that resets every probability
		 * context.
		 */
		held->restart = h.key_frame ||
				(h.intra_only && (h.error_resilient ||
						  h.reset_frame_context == 3));
	}

	dd_lavc_packet_reset(&dec->lavc);
	ret = dd_lavc_packet_append(&dec->lavc, job->bitstream.data,
				    job->bitstream.size);
	if (ret)
		return ret;
	if (dd_lavc_frames_full(&dec->frames)) {
		ret = push_out(dec, dec->frames.next_serial - 1);
		if (ret)
			return ret;
	}
	held->overwrites = dec->lavc.pics.overwrites;
	serial = dd_lavc_frames_send(&dec->frames, job, held->show_existing);
	if (serial < 0)
		return (int)serial;
	held->serial = serial;
	dec->profile = h.profile;
	if (!h.show_existing_frame) {
		dd_vp9_slots_update(&dec->slots, &h);
		for (i = 0; i < DD_VP9_NUM_REF_FRAMES; i++)
			if (h.refresh_frame_flags & (1u << i))
				dec->slot_ts[i] = job->msg->timestamp;
	}
	return 0;
}

/* The outcome of @held's packet, retired, into @result. */
static int answer(struct vp9_dec *dec, const struct vp9_held *held,
		  struct dd_result *result)
{
	const struct dd_job *job = held->job;
	struct dd_lavc_pictures *pics = &dec->lavc.pics;
	const char *corrupt = held->corrupt;
	struct dd_lavc_frames_outcome o;
	struct dd_lavc_pic *pic;
	long bytes;
	int ret;

	ret = dd_lavc_frames_take(&dec->frames, held->serial, &o);
	if (ret)
		return ret;
	pic = held->show_existing ?
	      (o.out ? dd_lavc_pictures_shown(pics, o.out) : NULL) : o.pic;
	if (!pic) {
		result->why = held->show_existing ?
			"vp9: show_existing_frame of a frame this decoder does not hold" :
			o.error ? "vp9: libavcodec reported an error in the bitstream" :
			"vp9: libavcodec decoded no picture";
		if (!held->show_existing)
			dec->broken = 1;
		dd_lavc_frames_release(&dec->frames, &o);
		return 0;
	}
	if (o.error) {
		corrupt = "vp9: libavcodec reported an error in the bitstream";
		dec->broken = 1;
	} else if (held->restart) {
		dec->broken = 0;
	}
	if (!dd_lavc_pic_intact(pic))
		corrupt = held->show_existing ? "vp9: show_existing_frame of a corrupt frame" :
			  "vp9: libavcodec concealed errors in the picture";
	else if (dec->broken && !corrupt)
		corrupt = "vp9: an earlier frame failed in libavcodec: what it predicts from is unknown until a key frame";
	if (!held->restart && pics->overwrites != held->overwrites && !corrupt)
		corrupt = "vp9: a re-queued CAPTURE buffer overwrote a picture libavcodec holds while the frame decoded";

	bytes = dd_lavc_pic_output(pics, pic, &job->picture);
	if (bytes < 0) {
		result->why = "vp9: the picture does not fit the CAPTURE format";
	} else {
		if (!held->show_existing) {
			if (corrupt)
				pic->tainted = 1;	/* what predicts from it is wrong too */
			dd_lavc_pic_set_ts(pic, job->msg->timestamp);
		}
		result->status = corrupt ? DAEDALUS_STATUS_CORRUPT : DAEDALUS_STATUS_OK;
		result->why = corrupt;
		result->bytesused = job->picture.format->sizeimage;
		result->bytes_copied = (uint64_t)bytes;
		result->restart = held->restart;
	}
	if (held->show_existing)
		dd_lavc_pictures_unpin(pics, pic);
	dd_lavc_frames_release(&dec->frames, &o);
	return 0;
}

static int vp9_complete(void *decoder, int wait, struct dd_result *result)
{
	struct vp9_dec *dec = decoder;
	struct vp9_held *held;
	int ret = 0;

	if (!dec->count)
		return -EIO;	/* the core asked for a job never submitted */
	held = held_at(dec, 0);
	if (held->serial >= 0 && !dd_lavc_frames_retired(&dec->frames, held->serial)) {
		if (!wait)
			return 0;
		ret = push_out(dec, held->serial);
		if (ret)
			return ret;
	}
	result->status = DAEDALUS_STATUS_FAILED;
	result->bytesused = 0;
	result->why = held->why;
	if (held->serial >= 0)
		ret = answer(dec, held, result);
	dec->first = (dec->first + 1) % VP9_MAX_HELD;
	dec->count--;
	return ret ? ret : 1;
}

static const char *vp9_unavailable(void)
{
	return dd_lavc_backend_unavailable(AV_CODEC_ID_VP9);
}

const struct dd_backend dd_backend_vp9 = {
	.name = "vp9",
	.codec = DAEDALUS_CODEC_VP9,
	.unavailable = vp9_unavailable,
	.open = vp9_open,
	.submit = vp9_submit,
	.complete = vp9_complete,
	.depth = vp9_depth,
	.close = vp9_close,
};

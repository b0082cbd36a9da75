/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_check.h"
#include "log.h"
#include "sf_context.h"

void dd_sf_context_init(struct dd_sf_context *ctx, uint64_t ctx_id,
			const struct dd_sf_backend *forced,
			struct dd_thread_budget *budget)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->ctx_id = ctx_id;
	ctx->forced = forced;
	ctx->budget = budget;
	ctx->arrived_tail = &ctx->arrived;
	ctx->input_tail = &ctx->input;
	ctx->lends_tail = &ctx->lends;
	ctx->need_key = 1;
}

static void record_free(struct dd_sf_record *rec)
{
	if (!rec)
		return;
	dd_bufmap_unref(rec->map);
	free(rec);
}

/* Logs @why at warning level once in a row, then at debug level. */
static void warn_once(struct dd_sf_context *ctx, const char *why)
{
	if (ctx->warned == why) {
		dd_dbg("stateful context %" PRIu64 ": %s", ctx->ctx_id, why);
		return;
	}
	ctx->warned = why;
	dd_warn("stateful context %" PRIu64 ": %s", ctx->ctx_id, why);
}

static void flush(struct dd_sf_context *ctx)
{
	if (ctx->num_batch && ctx->sink)
		ctx->sink->commit(ctx->sink->opaque, ctx->batch, ctx->num_batch);
	ctx->num_batch = 0;
}

static void emit(struct dd_sf_context *ctx, struct daedalus_sf_answer *ans)
{
	const char *why;

	ans->seen_seq = ctx->seen_seq;
	if (dd_sf_answer_check(ans, &why)) {
		/* Our own bug: the kernel would refuse it and fail the stream. */
		dd_err("stateful context %" PRIu64 ": not sending a bad answer: %s",
		       ctx->ctx_id, why);
		return;
	}
	ctx->batch[ctx->num_batch++] = *ans;
	ctx->idle_sent = !!(ans->flags & DAEDALUS_SF_IDLE);
	ctx->idle_seen = ans->seen_seq;
	if (ctx->num_batch == DD_SF_BATCH)
		flush(ctx);
}

static void answer(struct dd_sf_context *ctx, enum daedalus_sf_answer_kind kind,
		   uint64_t seq, enum daedalus_status status)
{
	struct daedalus_sf_answer ans;

	dd_sf_answer_init(&ans, kind, seq, ctx->ctx_id, ctx->seen_seq);
	ans.status = (uint32_t)status;
	emit(ctx, &ans);
}

/* An empty PICTURE for @lend (FAILED, or OK with LAST), which it frees. */
static void answer_empty(struct dd_sf_context *ctx, struct dd_sf_record *lend,
			 enum daedalus_status status, uint32_t flags)
{
	struct daedalus_sf_answer ans;

	dd_sf_answer_init(&ans, DAEDALUS_SF_PICTURE, lend->seq, ctx->ctx_id,
			  ctx->seen_seq);
	ans.status = (uint32_t)status;
	ans.flags = flags;
	ans.format_seq = ctx->format_seq;
	record_free(lend);
	emit(ctx, &ans);
}

static struct dd_sf_record *lend_pop(struct dd_sf_context *ctx)
{
	struct dd_sf_record *lend = ctx->lends;

	if (lend) {
		ctx->lends = lend->next;
		if (!ctx->lends)
			ctx->lends_tail = &ctx->lends;
	}
	return lend;
}

static void close_decoder(struct dd_sf_context *ctx)
{
	if (!ctx->decoder)
		return;
	ctx->backend->close(ctx->decoder);
	ctx->decoder = NULL;
	if (ctx->budget)
		dd_thread_budget_close(ctx->budget);
	ctx->have_pic = 0;
}

/* Tokens for one call into the decoder (thread_budget.h). */
static unsigned int take(struct dd_sf_context *ctx)
{
	return ctx->budget ? dd_thread_budget_take(ctx->budget, ctx->threads) : 0;
}

static void give(struct dd_sf_context *ctx, unsigned int tokens)
{
	if (ctx->budget)
		dd_thread_budget_give(ctx->budget, tokens);
}

/* The decoder gave up: no picture until the next key frame of a new one. */
static void decoder_failed(struct dd_sf_context *ctx, const char *what, int ret)
{
	char why[128];

	snprintf(why, sizeof(why), "%s failed (%s): decoder reopened at the next chunk",
		 what, strerror(-ret));
	dd_warn("stateful context %" PRIu64 ": %s", ctx->ctx_id, why);
	close_decoder(ctx);
	ctx->need_key = 1;
	ctx->need_input = 0;
	ctx->failed++;
}

static int ensure_decoder(struct dd_sf_context *ctx, enum daedalus_codec codec)
{
	const struct dd_sf_backend *b;
	struct dd_sf_config cfg = { .codec = codec };
	int ret;

	if (ctx->decoder && ctx->codec == codec)
		return 0;
	close_decoder(ctx);
	b = ctx->forced ? ctx->forced : dd_sf_backend_find(codec);
	if (!b) {
		warn_once(ctx, "no stream decoder for this codec");
		return -ENOSYS;
	}
	cfg.threads = ctx->budget ? dd_thread_budget_open(ctx->budget) : 1;
	ret = b->open(&ctx->decoder, &cfg);
	if (ret) {
		if (ctx->budget)
			dd_thread_budget_close(ctx->budget);
		ctx->decoder = NULL;
		warn_once(ctx, "cannot open a stream decoder");
		return ret;
	}
	ctx->backend = b;
	ctx->codec = codec;
	ctx->threads = cfg.threads;
	ctx->need_key = 1;
	ctx->need_input = 1;
	return 0;
}

/* Forgets the bytes and pictures of the stream; the format stays. */
static void reset_stream(struct dd_sf_context *ctx)
{
	if (ctx->decoder)
		ctx->backend->reset(ctx->decoder);
	ctx->have_pic = 0;
	ctx->need_key = 1;
	ctx->need_input = 1;
	if (ctx->draining)
		ctx->drain_cancelled = 1;
	/* The kernel drops a source change it has not applied yet. */
	if (ctx->format_pending)
		ctx->reported = ctx->format_pending = 0;
	ctx->resets++;
}

/* The picture held back during a drain, answered (with LAST if @last). */
static void answer_written(struct dd_sf_context *ctx, int last)
{
	if (!ctx->written)
		return;
	if (last)
		ctx->written_answer.flags |= DAEDALUS_SF_LAST;
	record_free(ctx->written);
	ctx->written = NULL;
	emit(ctx, &ctx->written_answer);
	if (last)
		ctx->stopped = 1;
}

/*
 * The drain reached its end: LAST on the picture held back, or an empty
 * one owed; the decoder starts over at a key frame.
 */
static void drain_done(struct dd_sf_context *ctx)
{
	ctx->draining = 0;
	if (ctx->drain_cancelled)
		answer_written(ctx, 0);
	else if (ctx->written)
		answer_written(ctx, 1);
	else
		ctx->owe_last = 1;
	ctx->drain_cancelled = 0;
	if (ctx->decoder)
		ctx->backend->reset(ctx->decoder);
	ctx->need_key = 1;
	ctx->need_input = 1;
	ctx->drains++;
}

static void apply_cmd(struct dd_sf_context *ctx, struct dd_sf_record *rec)
{
	const struct daedalus_sf_cmd *cmd = &rec->cmd;
	const char *why;

	switch (cmd->cmd) {
	case DAEDALUS_SF_CMD_START:
		ctx->stopped = 0;
		ctx->owe_last = 0;
		ctx->drc = 0;
		break;
	case DAEDALUS_SF_CMD_RESET:
		/* The kernel took back every chunk it sent: none is answered. */
		while (ctx->input) {
			struct dd_sf_record *r = ctx->input;

			ctx->input = r->next;
			if (r->kind == DD_RECORD_SF_CMD) {
				/* A DRAIN not begun still ends with LAST. */
				answer(ctx, DAEDALUS_SF_CMD_DONE, r->seq, 0);
				ctx->owe_last = 1;
			}
			record_free(r);
		}
		ctx->input_tail = &ctx->input;
		answer_written(ctx, 0);
		if (ctx->draining) {
			ctx->draining = 0;
			ctx->drain_cancelled = 0;
			ctx->owe_last = 1;
		}
		reset_stream(ctx);
		break;
	case DAEDALUS_SF_CMD_CAPTURE_OFF:
		/* Lends taken back unanswered; a decoded picture stays. */
		while (ctx->lends)
			record_free(lend_pop(ctx));
		record_free(ctx->written);
		ctx->written = NULL;
		ctx->owe_last = 0;
		ctx->stopped = 0;
		/*
		 * It aborts a drain, but not one that met a resolution
		 * change: the client reallocates for the change and the
		 * drain still ends with LAST (the kernel keeps it as well:
		 * daedalus_sf_cap_off()).
		 */
		if (ctx->draining && !ctx->drc)
			ctx->drain_cancelled = 1;
		break;
	case DAEDALUS_SF_CMD_FORMAT:
		if (dd_picture_format_check(&cmd->picture, &why)) {
			/* Pictures stay unwritten until a usable FORMAT. */
			warn_once(ctx, why);
			ctx->have_format = 0;
			break;
		}
		ctx->format = cmd->picture;
		ctx->format_seq = cmd->format_seq;
		ctx->have_format = 1;
		ctx->format_pending = 0;
		/* Resolution change: LAST first, the new pictures after START. */
		if (cmd->drc) {
			ctx->owe_last = 1;
			ctx->drc = 1;
		}
		break;
	}
	answer(ctx, DAEDALUS_SF_CMD_DONE, rec->seq, 0);
	record_free(rec);
}

void dd_sf_context_add(struct dd_sf_context *ctx, struct dd_sf_record *rec)
{
	rec->next = NULL;
	if (rec->seq > ctx->seen_seq)
		ctx->seen_seq = rec->seq;
	*ctx->arrived_tail = rec;
	ctx->arrived_tail = &rec->next;
}

static void to_answer_format(struct daedalus_sf_format *out,
			     const struct dd_sf_stream_format *f)
{
	memset(out, 0, sizeof(*out));
	out->coded_width = f->coded_width;
	out->coded_height = f->coded_height;
	out->width = f->width;
	out->height = f->height;
	out->bit_depth = f->depth;
	out->min_buffers = f->min_buffers;
	out->colorspace = f->colorspace;
	out->xfer_func = f->xfer_func;
	out->ycbcr_enc = f->ycbcr_enc;
	out->quantization = f->quantization;
}

/* Whether pictures of @f need a FORMAT other than the one reported. */
static int format_changed(const struct dd_sf_context *ctx,
			  const struct dd_sf_stream_format *f)
{
	const struct dd_sf_stream_format *r = &ctx->reported_format;

	return !ctx->reported || f->width != r->width ||
	       f->height != r->height || f->depth != r->depth ||
	       f->min_buffers > r->min_buffers;
}

/* Tells the kernel the stream's format; pictures wait for its FORMAT. */
static void report_format(struct dd_sf_context *ctx,
			  const struct dd_sf_stream_format *f)
{
	struct daedalus_sf_answer ans;

	/*
	 * A picture held back to carry a drain's LAST is the last of the old
	 * format: out now, before a resolution change's LAST can pass it.
	 */
	answer_written(ctx, 0);
	dd_sf_answer_init(&ans, DAEDALUS_SF_SOURCE_CHANGE, ctx->last_chunk,
			  ctx->ctx_id, ctx->seen_seq);
	to_answer_format(&ans.format, f);
	ctx->reported_format = *f;
	ctx->reported = 1;
	ctx->format_pending = 1;
	dd_info("stateful context %" PRIu64 ": %s %ux%u (coded %ux%u), %u-bit, %u buffers",
		ctx->ctx_id, dd_codec_name(ctx->codec), f->width, f->height,
		f->coded_width, f->coded_height, f->depth, f->min_buffers);
	emit(ctx, &ans);
}

/*
 * The format as soon as the headers tell it: a decoder may hold its first
 * picture back for many frames (libavcodec's strict H.264 reorder), and
 * the client waits for the event before it sets CAPTURE up.  1 if told.
 */
static int peek_format(struct dd_sf_context *ctx)
{
	struct dd_sf_stream_format f;

	if (ctx->reported || !ctx->decoder || !ctx->backend->peek_format ||
	    ctx->backend->peek_format(ctx->decoder, &f) <= 0)
		return 0;
	report_format(ctx, &f);
	return 1;
}

/* Writes the held picture into the oldest lend.  1 if a step was made. */
static int place_picture(struct dd_sf_context *ctx)
{
	struct dd_sf_picture *pic = &ctx->pic;
	struct daedalus_sf_answer ans;
	struct dd_sf_record *lend;
	int ret = 0;

	if (format_changed(ctx, &pic->format)) {
		if (ctx->format_pending)
			return 0;
		report_format(ctx, &pic->format);
		return 1;
	}
	if (ctx->format_pending || !ctx->have_format || ctx->stopped ||
	    ctx->owe_last)
		return 0;
	if (ctx->need_key && !pic->key) {
		/* Seek 3: nothing until a resume point. */
		ctx->have_pic = 0;
		return 1;
	}
	if (!ctx->lends)
		return 0;
	lend = lend_pop(ctx);
	if (lend->reject || !dd_pack_fits(&pic->planes, &ctx->format, lend->size)) {
		warn_once(ctx, lend->reject ? lend->reject :
			  "CAPTURE buffer too small for the picture");
		answer_empty(ctx, lend, DAEDALUS_STATUS_FAILED, 0);
		return 1;
	}
	if (lend->map)
		ret = dd_bufmap_sync(lend->map, 0, 1);
	if (!ret) {
		dd_pack_picture(lend->data, &ctx->format, &pic->planes, 0);
		if (lend->map)
			ret = dd_bufmap_sync(lend->map, 1, 1);
	}
	if (ret) {
		warn_once(ctx, "cannot sync the CAPTURE buffer");
		answer_empty(ctx, lend, DAEDALUS_STATUS_FAILED, 0);
		return 1;
	}
	ctx->bytes_copied += ctx->format.sizeimage;
	ctx->have_pic = 0;
	ctx->need_key = 0;
	ctx->pictures++;
	if (pic->corrupt) {
		ctx->corrupt++;
		warn_once(ctx, pic->corrupt);
	}
	dd_sf_answer_init(&ans, DAEDALUS_SF_PICTURE, lend->seq, ctx->ctx_id,
			  ctx->seen_seq);
	ans.status = pic->corrupt ? DAEDALUS_STATUS_CORRUPT : DAEDALUS_STATUS_OK;
	ans.bytesused = ctx->format.sizeimage;
	ans.timestamp = pic->timestamp;
	ans.format_seq = ctx->format_seq;
	/* The last picture of a drain carries LAST: keep its answer back. */
	answer_written(ctx, 0);
	if (ctx->draining) {
		ctx->written = lend;
		ctx->written_answer = ans;
	} else {
		record_free(lend);
		emit(ctx, &ans);
	}
	return 1;
}

/* The next picture out of the decoder.  1 if a step was made. */
static int pull_picture(struct dd_sf_context *ctx)
{
	unsigned int tokens;
	int ret;

	if (!ctx->decoder || ctx->need_input || ctx->stopped)
		return 0;
	tokens = take(ctx);
	ret = ctx->backend->pull(ctx->decoder, &ctx->pic);
	give(ctx, tokens);
	switch (ret) {
	case DD_SF_PICTURE:
		ctx->have_pic = 1;
		return 1;
	case DD_SF_NEED_INPUT:
	case DD_SF_DRAINED:
		if (!ctx->draining) {
			ctx->need_input = 1;
			return peek_format(ctx);
		}
		/* After end_of_input(), wanting more is being drained. */
		drain_done(ctx);
		return 1;
	default:
		decoder_failed(ctx, "decoding", ret < 0 ? ret : -EIO);
		if (ctx->draining)
			drain_done(ctx);
		return 1;
	}
}

static int push_chunk(struct dd_sf_context *ctx, struct dd_sf_record *rec)
{
	unsigned int tokens;
	int ret = 0;

	if (rec->reject) {
		warn_once(ctx, rec->reject);
		return -EINVAL;
	}
	if (rec->flags & DAEDALUS_SF_NEW_STREAM)
		reset_stream(ctx);
	ret = ensure_decoder(ctx, (enum daedalus_codec)rec->codec);
	if (ret)
		return ret;
	if (rec->map)
		ret = dd_bufmap_sync(rec->map, 0, 0);
	if (ret) {
		warn_once(ctx, "cannot sync the OUTPUT buffer");
		return ret;
	}
	tokens = take(ctx);
	ret = ctx->backend->push(ctx->decoder, rec->data, rec->size,
				 rec->timestamp);
	give(ctx, tokens);
	if (rec->map)
		dd_bufmap_sync(rec->map, 1, 0);
	if (ret) {
		decoder_failed(ctx, "parsing", ret);
		return ret;
	}
	ctx->last_chunk = rec->seq;
	ctx->need_input = 0;
	ctx->chunks++;
	ctx->bytes += rec->size;
	return 0;
}

/* Carries out the oldest chunk or DRAIN.  1 if a step was made. */
static int take_input(struct dd_sf_context *ctx)
{
	struct dd_sf_record *rec = ctx->input;
	unsigned int tokens;
	int ret;

	/* Chunks after a STOP wait for the drain's end. */
	if (!rec || ctx->have_pic || ctx->draining || ctx->owe_last)
		return 0;
	ctx->input = rec->next;
	if (!ctx->input)
		ctx->input_tail = &ctx->input;
	if (rec->kind == DD_RECORD_SF_CHUNK) {
		ret = push_chunk(ctx, rec);
		answer(ctx, DAEDALUS_SF_CHUNK_DONE, rec->seq,
		       ret ? DAEDALUS_STATUS_FAILED : DAEDALUS_STATUS_OK);
		record_free(rec);
		if (!ret)
			peek_format(ctx);
		return 1;
	}
	/* DRAIN */
	answer(ctx, DAEDALUS_SF_CMD_DONE, rec->seq, 0);
	record_free(rec);
	if (!ctx->decoder) {
		ctx->owe_last = 1;	/* nothing was decoded: an empty LAST */
		return 1;
	}
	tokens = take(ctx);
	ret = ctx->backend->end_of_input(ctx->decoder);
	give(ctx, tokens);
	if (ret) {
		decoder_failed(ctx, "draining", ret);
		ctx->owe_last = 1;
		return 1;
	}
	ctx->draining = 1;
	ctx->drain_cancelled = 0;
	ctx->need_input = 0;
	return 1;
}

/* An empty LAST owed to the client, on the next lend.  1 if given. */
static int give_last(struct dd_sf_context *ctx)
{
	if (!ctx->owe_last || !ctx->lends)
		return 0;
	answer_empty(ctx, lend_pop(ctx), DAEDALUS_STATUS_OK, DAEDALUS_SF_LAST);
	ctx->owe_last = 0;
	ctx->stopped = 1;
	return 1;
}

/* Records read since the last run: commands other than DRAIN act now. */
static void take_arrived(struct dd_sf_context *ctx)
{
	while (ctx->arrived) {
		struct dd_sf_record *rec = ctx->arrived;

		ctx->arrived = rec->next;
		rec->next = NULL;
		if (rec->kind == DD_RECORD_SF_LEND) {
			*ctx->lends_tail = rec;
			ctx->lends_tail = &rec->next;
		} else if (rec->kind == DD_RECORD_SF_CHUNK ||
			   rec->cmd.cmd == DAEDALUS_SF_CMD_DRAIN) {
			*ctx->input_tail = rec;
			ctx->input_tail = &rec->next;
		} else {
			apply_cmd(ctx, rec);
		}
	}
	ctx->arrived_tail = &ctx->arrived;
}

int dd_sf_context_run(struct dd_sf_context *ctx, const struct dd_sf_sink *sink,
		      unsigned int max_steps)
{
	int progress = 0;

	ctx->sink = sink;
	take_arrived(ctx);
	for (unsigned int steps = 0; steps < max_steps; steps++) {
		progress = give_last(ctx) ||
			   (ctx->have_pic ? place_picture(ctx) : pull_picture(ctx)) ||
			   take_input(ctx);
		if (!progress)
			break;
	}
	/* Said again when records came since: they restarted the kernel's clock. */
	if (!progress && (!ctx->idle_sent || ctx->idle_seen != ctx->seen_seq)) {
		struct daedalus_sf_answer ans;

		dd_sf_answer_init(&ans, DAEDALUS_SF_STATUS, 0, ctx->ctx_id,
				  ctx->seen_seq);
		ans.flags = DAEDALUS_SF_IDLE;
		emit(ctx, &ans);
	}
	flush(ctx);
	ctx->sink = NULL;
	return progress;
}

static void free_list(struct dd_sf_record *rec)
{
	while (rec) {
		struct dd_sf_record *next = rec->next;

		record_free(rec);
		rec = next;
	}
}

void dd_sf_context_fini(struct dd_sf_context *ctx)
{
	free_list(ctx->arrived);
	free_list(ctx->input);
	free_list(ctx->lends);
	record_free(ctx->written);
	ctx->arrived = ctx->input = ctx->lends = ctx->written = NULL;
	close_decoder(ctx);
}

void dd_sf_context_summary(const struct dd_sf_context *ctx, char *buf,
			   size_t size)
{
	const struct dd_sf_stream_format *f = &ctx->reported_format;

	snprintf(buf, size,
		 "%s %ux%u, %" PRIu64 " chunks (%" PRIu64 " bytes), %" PRIu64
		 " pictures, %" PRIu64 " corrupt, %" PRIu64 " decoder failures, %"
		 PRIu64 " drains, %" PRIu64 " resets, %" PRIu64 " picture bytes copied",
		 dd_codec_name(ctx->codec), f->width, f->height, ctx->chunks,
		 ctx->bytes, ctx->pictures, ctx->corrupt, ctx->failed,
		 ctx->drains, ctx->resets, ctx->bytes_copied);
}

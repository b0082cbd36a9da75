/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daedalus-v4l2: tracepoints for a job's life (docs/reliability.md).
 *
 * Every job is keyed by its context id and its sequence number (seq, which
 * the daemon's answer names).  A queued job ends in exactly one of
 * answered (accepted), timeout, detach, abort, close or fetch_failed; a
 * job device_run could not queue shows as not_queued, without a seq.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM daedalus

#if !defined(DAEDALUS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define DAEDALUS_TRACE_H

#include <linux/tracepoint.h>

#include "daedalus.h"

/* So that user space (perf, trace-cmd) can decode the symbols too. */
TRACE_DEFINE_ENUM(DAEDALUS_CODEC_H264);
TRACE_DEFINE_ENUM(DAEDALUS_CODEC_VP8);
TRACE_DEFINE_ENUM(DAEDALUS_CODEC_VP9);
TRACE_DEFINE_ENUM(DAEDALUS_CODEC_AV1);
TRACE_DEFINE_ENUM(DAEDALUS_JOB_QUEUED);
TRACE_DEFINE_ENUM(DAEDALUS_JOB_SENT);
TRACE_DEFINE_ENUM(DAEDALUS_STATUS_OK);
TRACE_DEFINE_ENUM(DAEDALUS_STATUS_CORRUPT);
TRACE_DEFINE_ENUM(DAEDALUS_STATUS_FAILED);

#define show_daedalus_codec(c)					\
	__print_symbolic(c, { DAEDALUS_CODEC_H264, "h264" },	\
			 { DAEDALUS_CODEC_VP8, "vp8" },		\
			 { DAEDALUS_CODEC_VP9, "vp9" },		\
			 { DAEDALUS_CODEC_AV1, "av1" })

#define show_daedalus_state(s)					\
	__print_symbolic(s, { DAEDALUS_JOB_QUEUED, "queued" },	\
			 { DAEDALUS_JOB_SENT, "sent" })

#define show_daedalus_status(s)					\
	__print_symbolic(s, { DAEDALUS_STATUS_OK, "ok" },	\
			 { DAEDALUS_STATUS_CORRUPT, "corrupt" },	\
			 { DAEDALUS_STATUS_FAILED, "failed" })

/* device_run handed the job to the bridge (bridge.lock held). */
TRACE_EVENT(daedalus_job_queued,
	    TP_PROTO(const struct daedalus_job *rec, bool attached),
	    TP_ARGS(rec, attached),
	    TP_STRUCT__entry(__field(u64, ctx)
			     __field(u64, seq)
			     __field(u64, ts)
			     __field(u64, out)
			     __field(u64, cap)
			     __field(u32, codec)
			     __field(u32, bytes)
			     __field(bool, attached)),
	    TP_fast_assign(__entry->ctx = rec->ctx_id;
			   __entry->seq = rec->seq;
			   __entry->ts = rec->timestamp;
			   __entry->out = rec->bitstream.id;
			   __entry->cap = rec->picture.id;
			   __entry->codec = rec->codec;
			   __entry->bytes = rec->bitstream.bytesused;
			   __entry->attached = attached;),
	    TP_printk("ctx=%llu seq=%llu codec=%s ts=%llu out=%llu bytes=%u cap=%llu daemon=%s",
		      __entry->ctx, __entry->seq,
		      show_daedalus_codec(__entry->codec), __entry->ts,
		      __entry->out, __entry->bytes, __entry->cap,
		      __entry->attached ? "attached" : "none")
);

/* device_run could not build or queue the job: failed at once, no seq. */
TRACE_EVENT(daedalus_job_not_queued,
	    TP_PROTO(const struct daedalus_job *rec),
	    TP_ARGS(rec),
	    TP_STRUCT__entry(__field(u64, ctx)
			     __field(u64, ts)),
	    TP_fast_assign(__entry->ctx = rec->ctx_id;
			   __entry->ts = rec->timestamp;),
	    TP_printk("ctx=%llu ts=%llu", __entry->ctx, __entry->ts)
);

/* The daemon fetched the job: the record as handed out (flags included). */
TRACE_EVENT(daedalus_job_fetched,
	    TP_PROTO(const struct daedalus_job *rec),
	    TP_ARGS(rec),
	    TP_STRUCT__entry(__field(u64, ctx)
			     __field(u64, seq)
			     __field(u64, ts)
			     __field(u32, flags)),
	    TP_fast_assign(__entry->ctx = rec->ctx_id;
			   __entry->seq = rec->seq;
			   __entry->ts = rec->timestamp;
			   __entry->flags = rec->flags;),
	    TP_printk("ctx=%llu seq=%llu ts=%llu flags=%s",
		      __entry->ctx, __entry->seq, __entry->ts,
		      __print_flags(__entry->flags, "|",
				    { DAEDALUS_JOB_NEW_STREAM, "NEW_STREAM" },
				    { DAEDALUS_JOB_HOLD_CAPTURE, "HOLD_CAPTURE" }))
);

/*
 * The record or its fds could not be handed out: the job fails, if nothing
 * else failed it meanwhile (@run: NULL then).
 */
TRACE_EVENT_CONDITION(daedalus_job_fetch_failed,
		      TP_PROTO(const struct daedalus_run *run, int err),
		      TP_ARGS(run, err),
		      TP_CONDITION(run),
		      TP_STRUCT__entry(__field(u64, ctx)
				       __field(u64, seq)
				       __field(int, err)),
		      TP_fast_assign(__entry->ctx = run->rec.ctx_id;
				     __entry->seq = run->rec.seq;
				     __entry->err = err;),
		      TP_printk("ctx=%llu seq=%llu err=%d",
				__entry->ctx, __entry->seq, __entry->err)
);

/*
 * An answer of the daemon: ctx and seq are what the daemon wrote, so a
 * refused one may name no job.  @why: NULL if accepted, else the reason.
 */
TRACE_EVENT(daedalus_job_answered,
	    TP_PROTO(const struct daedalus_result *res, const char *why),
	    TP_ARGS(res, why),
	    TP_STRUCT__entry(__field(u64, ctx)
			     __field(u64, seq)
			     __field(u32, status)
			     __field(u32, bytesused)
			     __field(bool, accepted)
			     __array(char, why, 32)),
	    TP_fast_assign(__entry->ctx = res->ctx_id;
			   __entry->seq = res->seq;
			   __entry->status = res->status;
			   __entry->bytesused = res->bytesused;
			   __entry->accepted = !why;
			   strscpy(__entry->why, why ? why : "",
				   sizeof(__entry->why));),
	    TP_printk("ctx=%llu seq=%llu status=%s bytesused=%u %s%s",
		      __entry->ctx, __entry->seq,
		      show_daedalus_status(__entry->status),
		      __entry->bytesused,
		      __entry->accepted ? "accepted" : "refused: ",
		      __entry->why)
);

/* The job failed before an answer; state: where it stood (queued, sent). */
DECLARE_EVENT_CLASS(daedalus_job_failed,
		    TP_PROTO(const struct daedalus_run *run),
		    TP_ARGS(run),
		    TP_STRUCT__entry(__field(u64, ctx)
				     __field(u64, seq)
				     __field(u64, ts)
				     __field(u32, codec)
				     __field(u32, state)),
		    TP_fast_assign(__entry->ctx = run->rec.ctx_id;
				   __entry->seq = run->rec.seq;
				   __entry->ts = run->rec.timestamp;
				   __entry->codec = run->rec.codec;
				   __entry->state = run->state;),
		    TP_printk("ctx=%llu seq=%llu codec=%s ts=%llu state=%s",
			      __entry->ctx, __entry->seq,
			      show_daedalus_codec(__entry->codec),
			      __entry->ts, show_daedalus_state(__entry->state))
);

/* Its watchdog expired (no daemon in time, or no answer in time). */
DEFINE_EVENT(daedalus_job_failed, daedalus_job_timeout,
	     TP_PROTO(const struct daedalus_run *run),
	     TP_ARGS(run)
);

/* The daemon's file was released (exit, crash, kill). */
DEFINE_EVENT(daedalus_job_failed, daedalus_job_detach,
	     TP_PROTO(const struct daedalus_run *run),
	     TP_ARGS(run)
);

/* job_abort, STREAMOFF: traced for each job there was to fail. */
DEFINE_EVENT_CONDITION(daedalus_job_failed, daedalus_job_abort,
		       TP_PROTO(const struct daedalus_run *run),
		       TP_ARGS(run),
		       TP_CONDITION(run->state == DAEDALUS_JOB_QUEUED ||
				    run->state == DAEDALUS_JOB_SENT)
);

/* The client closed the video node: as abort. */
DEFINE_EVENT_CONDITION(daedalus_job_failed, daedalus_job_close,
		       TP_PROTO(const struct daedalus_run *run),
		       TP_ARGS(run),
		       TP_CONDITION(run->state == DAEDALUS_JOB_QUEUED ||
				    run->state == DAEDALUS_JOB_SENT)
);

/* A stateful record (chunk, lend, command) was fetched by the daemon. */
TRACE_EVENT(daedalus_sf_sent,
	    TP_PROTO(u64 ctx, u64 seq, u16 type, u32 arg),
	    TP_ARGS(ctx, seq, type, arg),
	    TP_STRUCT__entry(__field(u64, ctx)
			     __field(u64, seq)
			     __field(u16, type)
			     __field(u32, arg)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->seq = seq;
			   __entry->type = type;
			   __entry->arg = arg;),
	    TP_printk("ctx=%llu seq=%llu %s arg=%u", __entry->ctx, __entry->seq,
		      __print_symbolic(__entry->type,
				       { DAEDALUS_MSG_SF_CHUNK, "chunk" },
				       { DAEDALUS_MSG_SF_LEND, "lend" },
				       { DAEDALUS_MSG_SF_CMD, "cmd" }),
		      __entry->arg)
);

/* A stateful answer was taken (why NULL) or refused (EINVAL). */
TRACE_EVENT(daedalus_sf_answer,
	    TP_PROTO(const struct daedalus_sf_answer *ans, const char *why),
	    TP_ARGS(ans, why),
	    TP_STRUCT__entry(__field(u64, ctx)
			     __field(u64, seq)
			     __field(u64, seen)
			     __field(u32, kind)
			     __field(u32, status)
			     __field(u32, flags)
			     __field(u32, bytes)
			     __array(char, why, 48)),
	    TP_fast_assign(__entry->ctx = ans->ctx_id;
			   __entry->seq = ans->seq;
			   __entry->seen = ans->seen_seq;
			   __entry->kind = ans->kind;
			   __entry->status = ans->status;
			   __entry->flags = ans->flags;
			   __entry->bytes = ans->bytesused;
			   strscpy(__entry->why, why ? why : "",
				   sizeof(__entry->why));),
	    TP_printk("ctx=%llu seq=%llu kind=%u status=%u flags=0x%x bytes=%u seen=%llu %s%s",
		      __entry->ctx, __entry->seq, __entry->kind,
		      __entry->status, __entry->flags, __entry->bytes,
		      __entry->seen, __entry->why[0] ? "refused: " : "taken",
		      __entry->why)
);

#endif /* DAEDALUS_TRACE_H */

/* Out of tree: found through -I$(src) (Kbuild), not include/trace/events. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE daedalus_trace

/* Outside the guard: define_trace.h reads this file again. */
#include <trace/define_trace.h>

/* SPDX-License-Identifier: ((GPL-2.0-only WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * daedalus-v4l2: the wire protocol between daedalus_v4l2.ko and daedalusd.
 *
 * The kernel module exposes a V4L2 stateless decoder; every decode job it
 * runs is handed to one userspace daemon through the misc device
 * /dev/daedalus-v4l2 and answered by it.  This header is the whole contract:
 *
 *   1. The daemon opens /dev/daedalus-v4l2 (root, CAP_SYS_ADMIN; a second
 *      opener gets EBUSY) and calls DAEDALUS_IOC_HELLO with its protocol
 *      version, the codecs it decodes and how many jobs of one context it
 *      wants at once (the kernel grants 1 to DAEDALUS_MAX_DEPTH).  A
 *      version mismatch is EPROTO.
 *      The attachment belongs to the process (thread group) that said
 *      HELLO: any other caller of DAEDALUS_IOC_FETCH (a forked child, a
 *      process the fd was passed to) gets EPERM, and poll() gives it
 *      EPOLLERR.  read() and write() are not supported (EINVAL).
 *   2. DAEDALUS_IOC_FETCH first commits the results it is given (struct
 *      daedalus_result; each is checked and a bad one is never trusted:
 *      the call stops there with EINVAL, daedalus_fetch.taken says how
 *      many were taken), then, if asked to, fetches exactly one
 *      kernel->daemon record: a struct daedalus_job, a struct
 *      daedalus_buf_gone, a struct daedalus_ctx_gone or a stateful record
 *      (struct daedalus_sf_chunk, _sf_lend, _sf_cmd), and returns its
 *      size.  The record buffer must hold the largest record
 *      (DAEDALUS_READ_SIZE).  It waits for a record unless the file is
 *      O_NONBLOCK (EAGAIN); poll() (EPOLLIN) tells when one is there.
 *
 * Every record starts with struct daedalus_hdr.  All fields have explicit
 * widths and natural alignment and are little-endian (the byte order of
 * every target: x86_64, arm64).  The codec parameters are the mainline
 * V4L2 stateless control structs, copied as the client set them.
 *
 * Buffers travel as dma-buf file descriptors, installed into the daemon
 * once per buffer and attachment: the first job that names a buffer
 * carries its fd, later jobs carry -1 and the daemon uses what it kept
 * under the buffer's id.  A buffer keeps its id (and its memory) for its
 * whole life; when the kernel frees it, a daedalus_buf_gone record tells
 * the daemon to close that fd and drop any mapping of it.  A new
 * attachment gets every fd again.
 */
#ifndef DAEDALUS_PROTO_H
#define DAEDALUS_PROTO_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/v4l2-controls.h>

/*
 * 2: ioctl magic 0xDA (was 'D', s390 dasd's); write() returns a partial count.
 * 3: bound to the HELLO process; DAEDALUS_IOC_FETCH replaces read()/write();
 *    a buffer's fd is sent once per attachment.
 * 4: the picture format may be V4L2_PIX_FMT_YUV420 (planar, one buffer).
 * 5: daedalus_hello.depth: several jobs of one context in flight, answered
 *    in any order.
 * 6: the stateful node: daedalus_hello.sf_codecs, the SF_CHUNK, SF_LEND and
 *    SF_CMD records, SF_ANSWER through DAEDALUS_IOC_SF_COMMIT.
 */
#define DAEDALUS_PROTO_VERSION	6
#define DAEDALUS_MAGIC		0x44414544u	/* "DEAD" read as little-endian bytes */
#define DAEDALUS_DEVICE_PATH	"/dev/daedalus-v4l2"

/* Codec ids; also bit numbers in daedalus_hello.codecs. */
enum daedalus_codec {
	DAEDALUS_CODEC_NONE = 0,
	DAEDALUS_CODEC_H264 = 1,
	DAEDALUS_CODEC_VP8 = 2,
	DAEDALUS_CODEC_VP9 = 3,
	DAEDALUS_CODEC_AV1 = 4,
	DAEDALUS_CODEC_COUNT
};

#define DAEDALUS_CODEC_BIT(c)	(1u << (c))

/* ------------------------------------------------------------------ */
/* Handshake                                                           */

/*
 * The most jobs of one context the kernel hands out before the first is
 * answered.  H.264 contexts always have one: a picture's slices or fields
 * may share one CAPTURE buffer (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF).
 */
#define DAEDALUS_MAX_DEPTH	8

struct daedalus_hello {
	__u32 version;		/* in: DAEDALUS_PROTO_VERSION; out: the kernel's */
	__u32 codecs;		/* in: DAEDALUS_CODEC_BIT()s the daemon decodes */
	/*
	 * in: the jobs of one context the daemon wants in flight at once;
	 * out: what the kernel grants, the value clamped to
	 * 1..DAEDALUS_MAX_DEPTH (0 gets 1).  Their answers may come in any
	 * order; the client gets its buffers back in its queue order.
	 */
	__u32 depth;
	/*
	 * in: DAEDALUS_CODEC_BIT()s the daemon decodes as byte streams for
	 * the stateful node; out: those the kernel offers there.
	 */
	__u32 sf_codecs;
	__u32 reserved[4];	/* in: zero */
};

/* 0xDA: free in Documentation/userspace-api/ioctl/ioctl-number.rst */
#define DAEDALUS_IOC_MAGIC	0xDA
#define DAEDALUS_IOC_HELLO	_IOWR(DAEDALUS_IOC_MAGIC, 0x01, struct daedalus_hello)

/*
 * Commit @num_results results, then fetch one record into @record unless it
 * is 0.  Returns the record's size, or 0 when nothing was to be fetched.
 * Errors: EPERM (not the process that said HELLO), ENOTCONN (no HELLO),
 * EINVAL (a refused result, or a bad argument), EAGAIN (O_NONBLOCK and
 * no record), EINTR/ERESTARTSYS, EFAULT, EMFILE (no fd free for a buffer).
 */
struct daedalus_fetch {
	__u64 results;		/* in: user pointer to struct daedalus_result[] */
	__u64 record;		/* in: user pointer to the record buffer, or 0 */
	__u32 num_results;	/* in: entries at results */
	__u32 record_size;	/* in: bytes at record, >= DAEDALUS_READ_SIZE */
	__u32 taken;		/* out: results taken */
	__u32 reserved[3];	/* in: zero */
};

#define DAEDALUS_IOC_FETCH	_IOWR(DAEDALUS_IOC_MAGIC, 0x02, struct daedalus_fetch)

/* ------------------------------------------------------------------ */
/* Record header                                                       */

enum daedalus_msg_type {
	DAEDALUS_MSG_JOB = 1,		/* kernel -> daemon */
	DAEDALUS_MSG_BUF_GONE = 2,	/* kernel -> daemon */
	DAEDALUS_MSG_CTX_GONE = 3,	/* kernel -> daemon */
	DAEDALUS_MSG_RESULT = 4,	/* daemon -> kernel */
	DAEDALUS_MSG_SF_CHUNK = 5,	/* kernel -> daemon */
	DAEDALUS_MSG_SF_LEND = 6,	/* kernel -> daemon */
	DAEDALUS_MSG_SF_CMD = 7,	/* kernel -> daemon */
	DAEDALUS_MSG_SF_ANSWER = 8,	/* daemon -> kernel */
};

struct daedalus_hdr {
	__u32 magic;		/* DAEDALUS_MAGIC */
	__u16 version;		/* DAEDALUS_PROTO_VERSION */
	__u16 type;		/* enum daedalus_msg_type */
	__u32 size;		/* sizeof the whole record; fixed per type */
	__u32 reserved;		/* zero */
};

/* ------------------------------------------------------------------ */
/* Codec parameters: the client's stateless controls, as set            */

#define DAEDALUS_MAX_TILES	512	/* V4L2_AV1_MAX_TILE_COUNT */
#define DAEDALUS_PARAMS_SIZE	12288

struct daedalus_h264_params {
	struct v4l2_ctrl_h264_decode_params decode_params;
	struct v4l2_ctrl_h264_sps sps;
	struct v4l2_ctrl_h264_pps pps;
	struct v4l2_ctrl_h264_scaling_matrix scaling_matrix;
	__u32 decode_mode;	/* enum v4l2_stateless_h264_decode_mode */
	__u32 start_code;	/* enum v4l2_stateless_h264_start_code */
	__u32 reserved;
};

struct daedalus_vp8_params {
	struct v4l2_ctrl_vp8_frame frame;
};

struct daedalus_vp9_params {
	struct v4l2_ctrl_vp9_frame frame;
	struct v4l2_ctrl_vp9_compressed_hdr compressed_hdr;
	__u8 has_compressed_hdr;	/* set in this request */
	__u8 reserved[7];
};

#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
struct daedalus_av1_params {
	struct v4l2_ctrl_av1_sequence sequence;
	struct v4l2_ctrl_av1_frame frame;
	struct v4l2_ctrl_av1_film_grain film_grain;
	__u8 reserved[2];
	__u32 num_tiles;	/* valid entries in tiles[] */
	struct v4l2_ctrl_av1_tile_group_entry tiles[DAEDALUS_MAX_TILES];
};
#endif

union daedalus_params {
	struct daedalus_h264_params h264;
	struct daedalus_vp8_params vp8;
	struct daedalus_vp9_params vp9;
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	struct daedalus_av1_params av1;
#endif
	__u64 align;
	__u8 raw[DAEDALUS_PARAMS_SIZE];
};

/* ------------------------------------------------------------------ */
/* Kernel -> daemon: one decode job                                    */

/* A V4L2 buffer (one plane) handed to the daemon for one job. */
struct daedalus_buf {
	__u64 id;		/* device-unique, stable while the buffer lives; never 0 */
	__s32 fd;		/* dma-buf on its first job, else -1: see above */
	__u32 length;		/* bytes mappable through fd */
	__u32 offset;		/* where the data starts within the dma-buf */
	__u32 bytesused;	/* bitstream: bytes of coded data from offset; picture: 0 */
};

/*
 * The geometry of a CAPTURE buffer: one memory plane, chroma after luma.
 * NV12 and P010: one CbCr plane, stride bytesperline.  YUV420: Cb, then
 * Cr at bytesperline / 2 * height / 2 after it, both of stride
 * bytesperline / 2 (v4l2_fill_pixfmt_mp()'s layout).
 */
struct daedalus_picture_format {
	__u32 pixelformat;	/* V4L2_PIX_FMT_NV12, _YUV420 or _P010 */
	__u32 width;		/* visible width in pixels */
	__u32 height;		/* luma rows allocated; chroma starts at bytesperline * height */
	__u32 bytesperline;	/* luma stride (and NV12/P010 chroma) */
	__u32 sizeimage;	/* bytes in the buffer, including padding */
	__u32 reserved;
};

/* One reference picture the client names, resolved by the kernel. */
struct daedalus_ref {
	__u64 timestamp;	/* ns, as named in the codec controls */
	__u64 buf_id;		/* the CAPTURE buffer holding it, 0 if none */
};

#define DAEDALUS_MAX_REFS	16

enum daedalus_job_flags {
	/*
	 * First job since STREAMON (or a new attach): the client may have
	 * seeked, or restarted its queues for a resolution change and go on
	 * referencing earlier pictures; the backend decides what to reset.
	 */
	DAEDALUS_JOB_NEW_STREAM = 1u << 0,
	/* The CAPTURE buffer is held for a further job (second field). */
	DAEDALUS_JOB_HOLD_CAPTURE = 1u << 1,
};

struct daedalus_job {
	struct daedalus_hdr hdr;	/* type DAEDALUS_MSG_JOB */
	__u64 seq;		/* device-unique job number; answer with it */
	__u64 ctx_id;		/* the V4L2 file handle's context; never 0 */
	__u64 timestamp;	/* ns, the OUTPUT buffer's (copied to CAPTURE) */
	__u32 codec;		/* enum daedalus_codec */
	__u32 flags;		/* enum daedalus_job_flags */
	__u32 coded_width;	/* OUTPUT format */
	__u32 coded_height;
	struct daedalus_picture_format picture_format;
	struct daedalus_buf bitstream;	/* OUTPUT buffer */
	struct daedalus_buf picture;	/* CAPTURE buffer */
	__u32 num_refs;		/* valid entries in refs[] */
	__u32 reserved;
	struct daedalus_ref refs[DAEDALUS_MAX_REFS];
	union daedalus_params params;	/* by codec */
};

/*
 * Kernel -> daemon: buffer @buf_id was freed; close its fd, drop its
 * mapping.  Sent for every buffer whose fd this attachment got.
 */
struct daedalus_buf_gone {
	struct daedalus_hdr hdr;	/* type DAEDALUS_MSG_BUF_GONE */
	__u64 buf_id;
};

/* Kernel -> daemon: context @ctx_id was closed; drop its decoder. */
struct daedalus_ctx_gone {
	struct daedalus_hdr hdr;	/* type DAEDALUS_MSG_CTX_GONE */
	__u64 ctx_id;
};

/* ------------------------------------------------------------------ */
/* Daemon -> kernel: the answer to one job                             */

enum daedalus_status {
	DAEDALUS_STATUS_OK = 0,		/* picture decoded exactly */
	DAEDALUS_STATUS_CORRUPT = 1,	/* picture written, but concealed or partial */
	DAEDALUS_STATUS_FAILED = 2,	/* no picture */
};

struct daedalus_result {
	struct daedalus_hdr hdr;	/* type DAEDALUS_MSG_RESULT */
	__u64 seq;		/* daedalus_job.seq */
	__u64 ctx_id;		/* daedalus_job.ctx_id */
	__u32 status;		/* enum daedalus_status */
	__u32 bytesused;	/* CAPTURE payload; <= picture_format.sizeimage */
	__u32 reserved[2];	/* zero */
};

/* ------------------------------------------------------------------ */
/* The stateful node (protocol 6)                                      */

/*
 * A stateful context (a file of /dev/daedalus-v4l2-stateful's node) sends
 * the daemon its OUTPUT buffers as chunks of a byte stream, lends it its
 * CAPTURE buffers, and passes on the client's commands.  The daemon parses
 * and decodes, and answers through DAEDALUS_IOC_SF_COMMIT:
 *
 *   - every chunk with one CHUNK_DONE, oldest first, once it no longer
 *     needs the chunk's bytes;
 *   - every lend with one PICTURE (in display order; empty with LAST at
 *     the end of a drain or before a resolution change, or FAILED);
 *   - every command with one CMD_DONE;
 *   - a SOURCE_CHANGE (naming the chunk that revealed it) when the
 *     stream's format is first known or changes; the kernel then sends a
 *     FORMAT command with the CAPTURE layout to write, and no picture may
 *     be answered before it.
 *
 * Every answer says the newest record of its context the daemon has read
 * (seen_seq).  A context may stay silent only while the daemon's latest
 * answer for it carried DAEDALUS_SF_IDLE ("nothing to do until you send
 * me something") and it has read every record sent since; otherwise the
 * kernel fails the context's stream when job_timeout_ms passes without an
 * answer (STATUS is the answer that says only that).
 */

enum daedalus_sf_chunk_flags {
	/* First chunk since STREAMON, a failure or a new attach: start over. */
	DAEDALUS_SF_NEW_STREAM = 1u << 0,
};

/* Kernel -> daemon: one OUTPUT buffer of the stream. */
struct daedalus_sf_chunk {
	struct daedalus_hdr hdr;	/* type DAEDALUS_MSG_SF_CHUNK */
	__u64 seq;		/* device-unique record number; answer with it */
	__u64 ctx_id;
	__u64 timestamp;	/* ns, the OUTPUT buffer's */
	__u32 codec;		/* enum daedalus_codec */
	__u32 flags;		/* enum daedalus_sf_chunk_flags */
	__u32 reserved[2];
	struct daedalus_buf bitstream;
};

/* Kernel -> daemon: one CAPTURE buffer to write a picture into. */
struct daedalus_sf_lend {
	struct daedalus_hdr hdr;	/* type DAEDALUS_MSG_SF_LEND */
	__u64 seq;
	__u64 ctx_id;
	struct daedalus_buf picture;	/* length: the buffer's whole size */
	__u32 reserved[2];
};

enum daedalus_sf_cmd_kind {
	/* V4L2_DEC_CMD_STOP: decode every chunk sent before, then LAST. */
	DAEDALUS_SF_CMD_DRAIN = 1,
	/* V4L2_DEC_CMD_START or STREAMON(CAPTURE): go on after LAST. */
	DAEDALUS_SF_CMD_START = 2,
	/* STREAMOFF(OUTPUT), a seek: forget every byte and pending picture. */
	DAEDALUS_SF_CMD_RESET = 3,
	/* STREAMOFF(CAPTURE): every lend was taken back. */
	DAEDALUS_SF_CMD_CAPTURE_OFF = 4,
	/* The CAPTURE layout for the format SOURCE_CHANGE reported. */
	DAEDALUS_SF_CMD_FORMAT = 5,
};

/* Kernel -> daemon: a command, answered by CMD_DONE. */
struct daedalus_sf_cmd {
	struct daedalus_hdr hdr;	/* type DAEDALUS_MSG_SF_CMD */
	__u64 seq;
	__u64 ctx_id;
	__u32 cmd;		/* enum daedalus_sf_cmd_kind */
	__u32 format_seq;	/* FORMAT: pictures carry it from now on */
	__u32 drc;		/* FORMAT: 1 if the client must reallocate (answer LAST first) */
	__u32 reserved;
	struct daedalus_picture_format picture;	/* FORMAT: the layout to write */
};

/* What the stream says of itself (SOURCE_CHANGE). */
struct daedalus_sf_format {
	__u32 coded_width;	/* 2..4096 */
	__u32 coded_height;	/* 2..2304 */
	__u32 width;		/* visible, 1..coded_width */
	__u32 height;		/* visible, 1..coded_height */
	__u32 bit_depth;	/* 8 or 10 */
	__u32 min_buffers;	/* CAPTURE buffers the stream needs, 1..32 */
	__u8 colorspace;	/* enum v4l2_colorspace */
	__u8 xfer_func;		/* enum v4l2_xfer_func */
	__u8 ycbcr_enc;		/* enum v4l2_ycbcr_encoding */
	__u8 quantization;	/* enum v4l2_quantization */
	__u32 reserved[3];
};

enum daedalus_sf_answer_kind {
	DAEDALUS_SF_CHUNK_DONE = 1,	/* seq: the oldest unanswered chunk */
	DAEDALUS_SF_PICTURE = 2,	/* seq: an unanswered lend */
	DAEDALUS_SF_CMD_DONE = 3,	/* seq: an unanswered command */
	DAEDALUS_SF_SOURCE_CHANGE = 4,	/* seq: the chunk that revealed it */
	DAEDALUS_SF_STATUS = 5,		/* seq: 0; only seen_seq and flags */
};

enum daedalus_sf_answer_flags {
	DAEDALUS_SF_LAST = 1u << 0,	/* PICTURE: the last of a drain or format */
	DAEDALUS_SF_IDLE = 1u << 1,	/* nothing to do until a new record */
};

/* Daemon -> kernel: one answer of a stateful context. */
struct daedalus_sf_answer {
	struct daedalus_hdr hdr;	/* type DAEDALUS_MSG_SF_ANSWER */
	__u64 seq;
	__u64 ctx_id;
	__u64 seen_seq;		/* the newest record of ctx_id the daemon has read */
	__u64 timestamp;	/* PICTURE: the chunk's in which it began */
	__u32 kind;		/* enum daedalus_sf_answer_kind */
	__u32 status;		/* enum daedalus_status: CHUNK_DONE, PICTURE */
	__u32 flags;		/* enum daedalus_sf_answer_flags */
	__u32 bytesused;	/* PICTURE: payload, <= the FORMAT's sizeimage */
	__u32 format_seq;	/* PICTURE: the FORMAT it was written in */
	__u32 reserved;
	struct daedalus_sf_format format;	/* SOURCE_CHANGE */
};

/*
 * Commit @num answers, in order.  Stops at the first refused one (EINVAL;
 * @taken says how many were taken before it).  Never waits.
 */
struct daedalus_sf_commit {
	__u64 answers;		/* in: user pointer to struct daedalus_sf_answer[] */
	__u32 num;		/* in: entries at answers */
	__u32 taken;		/* out: answers taken */
	__u32 reserved[4];	/* in: zero */
};

#define DAEDALUS_IOC_SF_COMMIT	_IOWR(DAEDALUS_IOC_MAGIC, 0x03, struct daedalus_sf_commit)

/* The largest kernel -> daemon record: a fetch buffer must hold it. */
#define DAEDALUS_READ_SIZE	sizeof(struct daedalus_job)

/* ------------------------------------------------------------------ */
/* Layout checks, compiled on both sides                               */

#ifdef __KERNEL__
#include <linux/build_bug.h>
#define DAEDALUS_ASSERT_SIZE(type, size) \
	static_assert(sizeof(type) == (size), #type " has the wrong size")
#else
#define DAEDALUS_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " has the wrong size")
#endif

DAEDALUS_ASSERT_SIZE(struct daedalus_hello, 32);
DAEDALUS_ASSERT_SIZE(struct daedalus_fetch, 40);
DAEDALUS_ASSERT_SIZE(struct daedalus_hdr, 16);
DAEDALUS_ASSERT_SIZE(struct daedalus_h264_params, 2112);
DAEDALUS_ASSERT_SIZE(struct daedalus_vp9_params, 2216);
DAEDALUS_ASSERT_SIZE(union daedalus_params, DAEDALUS_PARAMS_SIZE);
DAEDALUS_ASSERT_SIZE(struct daedalus_buf, 24);
DAEDALUS_ASSERT_SIZE(struct daedalus_picture_format, 24);
DAEDALUS_ASSERT_SIZE(struct daedalus_ref, 16);
DAEDALUS_ASSERT_SIZE(struct daedalus_job, 12680);
DAEDALUS_ASSERT_SIZE(struct daedalus_buf_gone, 24);
DAEDALUS_ASSERT_SIZE(struct daedalus_ctx_gone, 24);
DAEDALUS_ASSERT_SIZE(struct daedalus_result, 48);
DAEDALUS_ASSERT_SIZE(struct daedalus_sf_chunk, 80);
DAEDALUS_ASSERT_SIZE(struct daedalus_sf_lend, 64);
DAEDALUS_ASSERT_SIZE(struct daedalus_sf_cmd, 72);
DAEDALUS_ASSERT_SIZE(struct daedalus_sf_format, 40);
DAEDALUS_ASSERT_SIZE(struct daedalus_sf_answer, 112);
DAEDALUS_ASSERT_SIZE(struct daedalus_sf_commit, 32);
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
DAEDALUS_ASSERT_SIZE(struct daedalus_av1_params, 10192);
#endif

#endif /* DAEDALUS_PROTO_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One libavcodec decoder driven the stateless way, shared by the
 * libavcodec backends: a packet built per job (padded as lavc needs), sent
 * with the job's picture planned into its CAPTURE buffer, lavc's own
 * output drained at once.  With one thread or slice/tile threads the
 * picture is complete when avcodec_send_packet() returns; with frame
 * threads lavc_frames.h tells when.
 */
#ifndef DAEDALUS_LAVC_DECODER_H
#define DAEDALUS_LAVC_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "lavc_picture.h"

struct dd_lavc_decoder {
	const struct dd_lavc *av;
	AVCodecContext *avctx;
	AVPacket *pkt;
	AVFrame *frame;
	uint8_t *pkt_buf;
	size_t pkt_len, pkt_cap;
	struct dd_lavc_pictures pics;
};

/*
 * @threads slice threads, or frame threads if @frame_threads (pictures
 * then finish after avcodec_send_packet() returns: lavc_frames.h).  0,
 * -ENOENT (no libavcodec or no such decoder) or -ENOMEM.
 */
int dd_lavc_decoder_open(struct dd_lavc_decoder *d, enum AVCodecID id,
			 unsigned int threads, int frame_threads);
void dd_lavc_decoder_close(struct dd_lavc_decoder *d);
/* Forgets every picture: the next packet starts a stream. */
void dd_lavc_decoder_flush(struct dd_lavc_decoder *d);

/* The packet: emptied, then appended to; 0 or -ENOMEM. */
void dd_lavc_packet_reset(struct dd_lavc_decoder *d);
int dd_lavc_packet_append(struct dd_lavc_decoder *d, const uint8_t *data,
			  size_t size);

/*
 * Decodes the packet for @job, get_buffer2 call @target_call being the
 * job's picture.  Returns avcodec_send_packet()'s status; *pic is the
 * newest picture allocated (pinned until dd_lavc_pictures_done()), or NULL.
 */
int dd_lavc_decoder_send(struct dd_lavc_decoder *d, const struct dd_job *job,
			 unsigned int target_call, struct dd_lavc_pic **pic);

/*
 * A backend's decoder that begins with a struct dd_lavc_decoder: @size
 * bytes, zeroed, with the decoder opened for @id.  0, -ENOENT or -ENOMEM.
 */
int dd_lavc_backend_open(void **decoder, size_t size, enum AVCodecID id,
			 const struct dd_decoder_config *cfg);
void dd_lavc_backend_close(void *decoder);
/* A libavcodec backend's unavailable() (backend.h), for decoder @id. */
const char *dd_lavc_backend_unavailable(enum AVCodecID id);

/*
 * Decodes a packet that is exactly the job's bitstream and holds one
 * picture (VP8, VP9), and writes that picture to the CAPTURE buffer.
 * @corrupt: the backend's reason to answer CORRUPT so far, or NULL;
 * @reads_any_held: the picture may predict from any picture lavc holds (the
 * backend cannot tell which), so a tainted one makes it CORRUPT.  Fills
 * @result: FAILED with a reason, or OK/CORRUPT with bytesused and
 * bytes_copied.  Returns 0, or -ENOMEM.
 */
int dd_lavc_decode_picture(struct dd_lavc_decoder *d, const struct dd_job *job,
			   const char *corrupt, int reads_any_held,
			   struct dd_result *result);

#endif /* DAEDALUS_LAVC_DECODER_H */

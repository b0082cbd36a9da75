/* SPDX-License-Identifier: BSD-2-Clause */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "fixture.h"
#include "proto_io.h"

static void fx_h264(struct daedalus_job *job, uint32_t w, uint32_t h)
{
	struct daedalus_h264_params *p = &job->params.h264;

	p->decode_mode = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
	p->start_code = V4L2_STATELESS_H264_START_CODE_ANNEX_B;
	p->sps.profile_idc = 100;
	p->sps.level_idc = 40;
	p->sps.chroma_format_idc = 1;
	p->sps.max_num_ref_frames = 4;
	p->sps.pic_width_in_mbs_minus1 = (uint16_t)(w / 16 - 1);
	p->sps.pic_height_in_map_units_minus1 = (uint16_t)(h / 16 - 1);
	p->sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY |
		       V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
	p->pps.flags = V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
	memset(&p->scaling_matrix, 16, sizeof(p->scaling_matrix));
	p->decode_params.nal_ref_idc = 1;
	p->decode_params.flags = V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
}

static void fx_vp8(struct daedalus_job *job, uint32_t w, uint32_t h)
{
	struct v4l2_ctrl_vp8_frame *f = &job->params.vp8.frame;

	f->width = (uint16_t)w;
	f->height = (uint16_t)h;
	f->num_dct_parts = 1;
	f->first_part_size = 60;
	f->first_part_header_bits = 100;
	f->dct_part_sizes[0] = 100;
	f->quant.y_ac_qi = 40;
	f->lf.level = 20;
	f->flags = V4L2_VP8_FRAME_FLAG_KEY_FRAME | V4L2_VP8_FRAME_FLAG_SHOW_FRAME;
}

static void fx_vp9(struct daedalus_job *job, uint32_t w, uint32_t h)
{
	struct v4l2_ctrl_vp9_frame *f = &job->params.vp9.frame;

	f->profile = 0;
	f->bit_depth = 8;
	f->frame_width_minus_1 = (uint16_t)(w - 1);
	f->frame_height_minus_1 = (uint16_t)(h - 1);
	f->render_width_minus_1 = (uint16_t)(w - 1);
	f->render_height_minus_1 = (uint16_t)(h - 1);
	f->flags = V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
		   V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	f->uncompressed_header_size = 20;
	f->compressed_header_size = 30;
	f->lf.level = 10;
}

#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
static void fx_av1(struct daedalus_job *job, uint32_t w, uint32_t h)
{
	struct daedalus_av1_params *p = &job->params.av1;

	p->sequence.seq_profile = 0;
	p->sequence.bit_depth = 8;
	p->sequence.order_hint_bits = 7;
	p->sequence.flags = V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			    V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y |
			    V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT;
	p->sequence.max_frame_width_minus_1 = (uint16_t)(w - 1);
	p->sequence.max_frame_height_minus_1 = (uint16_t)(h - 1);
	p->frame.frame_type = V4L2_AV1_KEY_FRAME;
	p->frame.frame_width_minus_1 = w - 1;
	p->frame.frame_height_minus_1 = h - 1;
	p->frame.upscaled_width = w;
	p->frame.flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME;
	p->frame.tile_info.tile_cols = 2;
	p->frame.tile_info.tile_rows = 1;
	p->num_tiles = 2;
	p->tiles[0].tile_offset = 10;
	p->tiles[0].tile_size = 90;
	p->tiles[1].tile_offset = 100;
	p->tiles[1].tile_size = FX_BYTESUSED - 100;
	p->tiles[1].tile_col = 1;
}
#endif

void fx_job_init(struct daedalus_job *job, enum daedalus_codec codec,
		 uint64_t seq, uint64_t ctx_id, uint32_t width, uint32_t height)
{
	memset(job, 0, sizeof(*job));
	dd_hdr_init(&job->hdr, DAEDALUS_MSG_JOB, sizeof(*job));
	job->seq = seq;
	job->ctx_id = ctx_id;
	job->timestamp = seq * 1000;
	job->codec = codec;
	job->coded_width = width;
	job->coded_height = height;
	job->picture_format.pixelformat = V4L2_PIX_FMT_NV12;
	job->picture_format.width = width;
	job->picture_format.height = height;
	job->picture_format.bytesperline = width;
	job->picture_format.sizeimage = width * height * 3 / 2;
	job->bitstream.id = 1000 + seq;
	job->bitstream.fd = 100;
	job->bitstream.length = FX_BITSTREAM_LENGTH;
	job->bitstream.bytesused = FX_BYTESUSED;
	job->picture.id = 1;
	job->picture.fd = 101;
	job->picture.length = job->picture_format.sizeimage;

	switch (codec) {
	case DAEDALUS_CODEC_H264:
		fx_h264(job, width, height);
		break;
	case DAEDALUS_CODEC_VP8:
		fx_vp8(job, width, height);
		break;
	case DAEDALUS_CODEC_VP9:
		fx_vp9(job, width, height);
		break;
	case DAEDALUS_CODEC_AV1:
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
		fx_av1(job, width, height);
#endif
		break;
	default:
		break;
	}
}

int fx_memfd(size_t size, uint8_t fill)
{
	int fd = memfd_create("fx", MFD_CLOEXEC);
	uint8_t *p;

	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		perror("memfd");
		abort();
	}
	if (fill && size) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			abort();
		}
		memset(p, fill, size);
		munmap(p, size);
	}
	return fd;
}

int fx_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own fd */
}

void fx_capture_begin(struct fx_capture *cap)
{
	cap->fd = memfd_create("log", MFD_CLOEXEC);
	fflush(stderr);
	cap->saved = dup(2);
	if (cap->fd < 0 || cap->saved < 0 || dup2(cap->fd, 2) != 2)
		abort();
}

char *fx_capture_end(struct fx_capture *cap)
{
	off_t len;
	char *text;

	fflush(stderr);
	dup2(cap->saved, 2);
	close(cap->saved);
	len = lseek(cap->fd, 0, SEEK_END);
	text = malloc((size_t)len + 1);
	if (!text || pread(cap->fd, text, (size_t)len, 0) != len)
		abort();
	text[len] = 0;
	close(cap->fd);
	return text;
}

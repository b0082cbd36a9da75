/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dd_av1_write_frame() on the controls fuzz_av1_obu found it rebuilding
 * wrongly: a superres frame whose downscaled width the decoder raises to
 * min(16, UpscaledWidth) (upscaled width 20, denominator 16: 10 by the
 * plain formula, 16 as dav1d and libaom decode it).
 */
#include <linux/videodev2.h>

#include "av1_obu.h"
#include "dd_test.h"
#include "fixture.h"

/* Writes the frame of @job's controls over its FX_BYTESUSED bytes. */
static size_t write_controls(const struct daedalus_job *job, const char **why)
{
	static uint8_t bs[FX_BYTESUSED], out[1 << 16];
	struct dd_av1_slots s;

	dd_av1_slots_reset(&s);
	return dd_av1_write_frame(&job->params.av1, &s, bs, sizeof(bs), out,
				  sizeof(out), why);
}

static void test_superres_min_width(void)
{
	static struct daedalus_job job;
	struct daedalus_av1_params *p = &job.params.av1;
	const char *why;

	fx_job_init(&job, DAEDALUS_CODEC_AV1, 1, 1, 64, 64);
	p->frame.tile_info.flags = V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING;
	p->frame.tile_info.tile_cols = 1;
	p->num_tiles = 1;
	p->tiles[0].tile_offset = 0;
	p->tiles[0].tile_size = FX_BYTESUSED;
	p->sequence.flags |= V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES;
	p->frame.flags |= V4L2_AV1_FRAME_FLAG_USE_SUPERRES;
	p->frame.superres_denom = 16;
	p->frame.upscaled_width = 20;

	p->frame.frame_width_minus_1 = 15;	/* max((20 * 8 + 8) / 16, 16) */
	why = NULL;
	CHECK(write_controls(&job, &why) > 0);
	CHECK(why == NULL);

	p->frame.frame_width_minus_1 = 9;	/* the plain formula */
	why = NULL;
	CHECK(write_controls(&job, &why) == 0);
	CHECK(why != NULL);

	/* wide enough: the plain formula (64 * 8 + 8) / 16 = 32 */
	p->frame.upscaled_width = 64;
	p->frame.frame_width_minus_1 = 31;
	why = NULL;
	CHECK(write_controls(&job, &why) > 0);
}

int main(void)
{
	test_superres_min_width();
	return dd_test_result("test_av1_obu");
}

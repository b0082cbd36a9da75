/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The recorder's files and daedalus-replay end to end: a recording made
 * with dd_recorder_write() is replayed by the real binary (path given as
 * argv[1]) with the pattern backend, and its output lines are compared
 * with md5s computed here.  Also picture_hash.h on a tiny known picture.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "backend.h"
#include "dd_test.h"
#include "fixture.h"
#include "md5.h"
#include "picture_hash.h"
#include "recorder.h"

static void md5_hex_of(const uint8_t *p, size_t n, char hex[33])
{
	struct dd_md5 md5;
	uint8_t d[16];

	dd_md5_init(&md5);
	dd_md5_update(&md5, p, n);
	dd_md5_final(&md5, d);
	dd_md5_hex(d, hex);
}

struct collect {
	uint8_t bytes[64];
	size_t used;
};

static void collect_sink(void *opaque, const uint8_t *bytes, size_t size)
{
	struct collect *c = opaque;

	CHECK(c->used + size <= sizeof(c->bytes));
	if (c->used + size <= sizeof(c->bytes))
		memcpy(c->bytes + c->used, bytes, size);
	c->used += size;
}

static void test_picture_hash(void)
{
	/* 4x2 NV12, stride 6: Y 1..8, CbCr 9 10 11 12, padding 0xee. */
	uint8_t pic[6 * 3] = {
		1, 2, 3, 4, 0xee, 0xee,
		5, 6, 7, 8, 0xee, 0xee,
		9, 10, 11, 12, 0xee, 0xee,
	};
	const uint8_t cap_bytes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	const uint8_t i420_bytes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 10, 12 };
	/* The same in P010: the values << 6, little-endian; stride 10. */
	uint8_t pic10[10 * 3];
	uint8_t i420_10[24];
	struct daedalus_picture_format fmt = {
		.pixelformat = V4L2_PIX_FMT_NV12, .width = 4, .height = 2,
		.bytesperline = 6, .sizeimage = sizeof(pic),
	};
	char cap[33], i420[33], want[33];

	CHECK_EQ(dd_picture_md5(pic, &fmt, 4, 2, cap, i420), 0);
	md5_hex_of(cap_bytes, sizeof(cap_bytes), want);
	CHECK_STR(cap, want);
	md5_hex_of(i420_bytes, sizeof(i420_bytes), want);
	CHECK_STR(i420, want);
	CHECK_EQ(dd_picture_md5(pic, &fmt, 6, 2, cap, i420), -EINVAL);
	{
		struct collect c = { .used = 0 };
		const uint8_t crop[] = { 1, 2, 3, 5, 6, 7, 9, 11, 10, 12 };

		CHECK_EQ(dd_picture_planar(pic, &fmt, 4, 2, collect_sink, &c), 0);
		CHECK_EQ(c.used, sizeof(i420_bytes));
		CHECK(!memcmp(c.bytes, i420_bytes, sizeof(i420_bytes)));
		/* 3x2: odd width, chroma ceil(3 / 2) = 2 samples a row. */
		c.used = 0;
		CHECK_EQ(dd_picture_planar(pic, &fmt, 3, 2, collect_sink, &c), 0);
		CHECK_EQ(c.used, sizeof(crop));
		CHECK(!memcmp(c.bytes, crop, sizeof(crop)));
		c.used = 0;
		CHECK_EQ(dd_picture_planar(pic, &fmt, 4, 3, collect_sink, &c), -EINVAL);
		CHECK_EQ(c.used, 0);
	}

	memset(pic10, 0xee, sizeof(pic10));
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 4; x++) {
			unsigned int v = (unsigned int)pic[y * 6 + x] << 6;

			pic10[y * 10 + 2 * x] = (uint8_t)v;
			pic10[y * 10 + 2 * x + 1] = (uint8_t)(v >> 8);
		}
	for (int i = 0; i < 12; i++) {
		i420_10[2 * i] = i420_bytes[i];
		i420_10[2 * i + 1] = 0;
	}
	fmt.pixelformat = V4L2_PIX_FMT_P010;
	fmt.bytesperline = 10;
	fmt.sizeimage = sizeof(pic10);
	CHECK_EQ(dd_picture_md5(pic10, &fmt, 4, 2, cap, i420), 0);
	md5_hex_of(i420_10, sizeof(i420_10), want);
	CHECK_STR(i420, want);
	{
		uint8_t cap10[24];

		for (int y = 0; y < 3; y++)
			memcpy(cap10 + y * 8, pic10 + y * 10, 8);
		md5_hex_of(cap10, sizeof(cap10), want);
		CHECK_STR(cap, want);
	}
}

/* What the pattern backend makes of frame @frame of @job, hashed. */
static void expected_line(const struct daedalus_job *job, int frame, char *line,
			  size_t size)
{
	const struct daedalus_picture_format *f = &job->picture_format;
	uint8_t *buf = calloc(1, f->sizeimage);
	struct dd_job dj = { .msg = job };
	struct dd_result res;
	char cap[33], i420[33];
	void *dec;

	dj.picture.data = buf;
	dj.picture.size = f->sizeimage;
	dj.picture.format = f;
	dd_backend_pattern.open(&dec, &(struct dd_decoder_config){ .threads = 1 });
	for (int i = 0; i <= frame; i++)
		dd_backend_pattern.decode(dec, &dj, &res);
	dd_backend_pattern.close(dec);
	CHECK_EQ(dd_picture_md5(buf, f, job->coded_width, job->coded_height, cap, i420), 0);
	snprintf(line, size, "%llu OK %s %s 0\n", (unsigned long long)job->seq, cap, i420);
	free(buf);
}

static off_t file_size(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) ? -1 : st.st_size;
}

static void test_replay(const char *replay)
{
	char tmp[] = "/tmp/dd-replay-XXXXXX", rec_dir[64], ctx_dir[128];
	char cmd[1024], line[256], want[4][256];
	static struct daedalus_job jobs[4];
	uint8_t bits[FX_BYTESUSED];
	struct dd_recorder *rec;
	FILE *out;
	int n = 0;

	CHECK(mkdtemp(tmp) != NULL);
	snprintf(rec_dir, sizeof(rec_dir), "%s/rec", tmp);
	CHECK_EQ(dd_recorder_new(rec_dir, &rec), 0);
	for (size_t i = 0; i < sizeof(bits); i++)
		bits[i] = (uint8_t)i;

	/* ctx 3: H.264, job 2 malformed (recorded without bitstream). */
	fx_job_init(&jobs[0], DAEDALUS_CODEC_H264, 1, 3, 64, 48);
	fx_job_init(&jobs[1], DAEDALUS_CODEC_H264, 2, 3, 64, 48);
	jobs[1].flags = 1u << 7;
	fx_job_init(&jobs[2], DAEDALUS_CODEC_H264, 3, 3, 64, 48);
	/* ctx 4: VP9 profile 2 into P010, 10-bit. */
	fx_job_init(&jobs[3], DAEDALUS_CODEC_VP9, 5, 4, 32, 16);
	jobs[3].params.vp9.frame.profile = 2;
	jobs[3].params.vp9.frame.bit_depth = 10;
	jobs[3].picture_format.pixelformat = V4L2_PIX_FMT_P010;
	jobs[3].picture_format.bytesperline = 128;
	jobs[3].picture_format.sizeimage = 128 * 16 * 3 / 2;
	jobs[3].picture.length = jobs[3].picture_format.sizeimage;
	for (int i = 0; i < 4; i++)
		CHECK_EQ(dd_recorder_write(rec, &jobs[i], i == 1 ? NULL : bits,
					   i == 1 ? 0 : sizeof(bits)), 0);
	dd_recorder_free(rec);

	snprintf(ctx_dir, sizeof(ctx_dir), "%s/ctx3", rec_dir);
	CHECK_EQ(file_size(ctx_dir, "00000001.job"), sizeof(struct daedalus_job));
	CHECK_EQ(file_size(ctx_dir, "00000001.bin"), FX_BYTESUSED);
	CHECK_EQ(file_size(ctx_dir, "00000002.job"), sizeof(struct daedalus_job));
	CHECK_EQ(file_size(ctx_dir, "00000002.bin"), -1);

	expected_line(&jobs[0], 0, want[0], sizeof(want[0]));
	snprintf(want[1], sizeof(want[1]), "2 FAILED - - 0\n");
	expected_line(&jobs[2], 1, want[2], sizeof(want[2]));	/* 2nd decoded frame */
	expected_line(&jobs[3], 0, want[3], sizeof(want[3]));

	snprintf(cmd, sizeof(cmd), "%s --backend pattern %s 2>/dev/null", replay, rec_dir);
	out = popen(cmd, "r");
	CHECK(out != NULL);
	while (out && fgets(line, sizeof(line), out)) {
		if (n < 4)
			CHECK_STR(line, want[n]);
		n++;
	}
	CHECK_EQ(out ? pclose(out) : -1, 0);
	CHECK_EQ(n, 4);

	/* One context directory on its own. */
	snprintf(cmd, sizeof(cmd), "%s --backend pattern %s/ctx4 2>/dev/null", replay, rec_dir);
	out = popen(cmd, "r");
	n = 0;
	while (out && fgets(line, sizeof(line), out)) {
		CHECK_STR(line, want[3]);
		n++;
	}
	CHECK_EQ(out ? pclose(out) : -1, 0);
	CHECK_EQ(n, 1);

	/*
	 * --frames: the VP9 job's picture, planar, cropped to the FRAME
	 * control's 30x14; nothing for the FAILED job.
	 */
	jobs[3].params.vp9.frame.frame_width_minus_1 = 29;
	jobs[3].params.vp9.frame.frame_height_minus_1 = 13;
	CHECK_EQ(dd_recorder_new(rec_dir, &rec), 0);
	CHECK_EQ(dd_recorder_write(rec, &jobs[3], bits, sizeof(bits)), 0);
	dd_recorder_free(rec);
	snprintf(cmd, sizeof(cmd), "%s --backend pattern --frames %s/frames %s >/dev/null 2>&1",
		 replay, tmp, rec_dir);
	CHECK_EQ(system(cmd), 0);
	{
		const struct daedalus_picture_format *f = &jobs[3].picture_format;
		uint8_t *buf = calloc(1, f->sizeimage);
		struct dd_job dj = { .msg = &jobs[3] };
		struct dd_result res;
		char frames[128], cap[33], i420[33];
		void *dec;

		dj.picture.data = buf;
		dj.picture.size = f->sizeimage;
		dj.picture.format = f;
		dd_backend_pattern.open(&dec, &(struct dd_decoder_config){ .threads = 1 });
		dd_backend_pattern.decode(dec, &dj, &res);
		dd_backend_pattern.close(dec);
		CHECK_EQ(dd_picture_md5(buf, f, 30, 14, cap, i420), 0);
		free(buf);
		snprintf(frames, sizeof(frames), "%s/frames", tmp);
		CHECK_EQ(file_size(frames, "00000005.yuv"), 30 * 14 * 2 + 2 * 15 * 7 * 2);
		CHECK_EQ(file_size(frames, "00000002.yuv"), -1);
		snprintf(cmd, sizeof(cmd), "md5sum <%s/00000005.yuv", frames);
		out = popen(cmd, "r");
		CHECK(out && fgets(line, sizeof(line), out));
		CHECK(!strncmp(line, i420, 32));
		CHECK_EQ(out ? pclose(out) : -1, 0);
	}

	/* Nothing recorded there: an error. */
	snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null", replay, tmp);
	out = popen(cmd, "r");
	CHECK(out && pclose(out) != 0);

	snprintf(cmd, sizeof(cmd), getenv("DD_KEEP") ? "true %s" : "rm -rf '%s'", tmp);
	CHECK_EQ(system(cmd), 0);
}

int main(int argc, char **argv)
{
	test_picture_hash();
	if (argc < 2) {
		fprintf(stderr, "usage: test_replay PATH-TO-daedalus-replay\n");
		return 1;
	}
	test_replay(argv[1]);
	return dd_test_result("test_replay");
}

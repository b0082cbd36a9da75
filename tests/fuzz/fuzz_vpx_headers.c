/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vpx_headers: the frame header parsers the VP9 and VP8 backends
 * check a client's FRAME control against (daemon/vp9_header.c,
 * daemon/vp8_header.c), on arbitrary bytes.
 *
 * Input (fuzz_input.h): up to FZ_VPX_FRAMES frames, each one length byte
 * and that many bytes.  Each frame is copied into a buffer of exactly its
 * length (ASan sees any read past it) and handed to both parsers; the VP9
 * reference slots carry over from frame to frame as the backend's do
 * (dd_vp9_slots_update() after each parsed frame), so frame_size_with_refs()
 * and the bit depth inter frames inherit are reached.
 *
 * Besides not crashing, a parsed header must be within the bounds the
 * backends index and compare with (slot numbers < 8, flags 0/1, a
 * non-zero size, the bit depth of the profile), a header parsed from a
 * prefix of the frame must be the one the whole frame gives (the parsers
 * read nothing beyond what they report), and a VP8 job whose partitions
 * dd_job_check() accepts must have every partition inside the bitstream.
 */
#define FZ_TARGET "fuzz_vpx_headers"	/* fuzz_check.h */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/videodev2.h>

#include "fixture.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "job_check.h"
#include "vp8_header.h"
#include "vp9_header.h"

/* VP9 stops after render_size(): 13 bytes at most; VP8 reads 10. */
#define PREFIX_MAX	16

/* Nothing here logs: the parsers and dd_job_check() return their reasons. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void vp9_bounds(const struct dd_vp9_header *h,
		       const struct dd_vp9_slots *slots)
{
	unsigned int i;

	CHECK(h->profile <= 3, "vp9: profile", h->profile);
	CHECK(h->show_existing_frame <= 1, "vp9: show_existing_frame", h->show_existing_frame);
	if (h->show_existing_frame) {
		/* show_existing() indexes the slots with it */
		CHECK(h->frame_to_show < DD_VP9_NUM_REF_FRAMES, "vp9: frame_to_show",
		      h->frame_to_show);
		return;
	}
	CHECK(h->key_frame <= 1 && h->show_frame <= 1 && h->error_resilient <= 1 &&
	      h->intra_only <= 1, "vp9: a flag not 0/1", 0);
	CHECK(!(h->key_frame && h->intra_only), "vp9: key frame and intra-only", 0);
	CHECK(!(h->show_frame && h->intra_only), "vp9: shown intra-only frame", 0);
	CHECK(h->reset_frame_context <= 3, "vp9: reset_frame_context", h->reset_frame_context);
	CHECK(h->subsampling_x <= 1 && h->subsampling_y <= 1, "vp9: subsampling", 0);
	/* check_control() compares the size; 0 would be an empty slot */
	CHECK(h->width && h->height, "vp9: zero frame size", h->width);
	if (h->key_frame)
		CHECK(h->refresh_frame_flags == 0xff, "vp9: key frame refreshes",
		      h->refresh_frame_flags);
	if (h->key_frame || h->intra_only) {
		/* profile 0 is 8-bit, 2 is 10/12-bit: what check_control() relies on */
		CHECK(h->profile >= 2 ? h->bit_depth == 10 || h->bit_depth == 12 :
					h->bit_depth == 8, "vp9: bit depth", h->bit_depth);
		return;
	}
	CHECK(h->bit_depth == slots->bit_depth, "vp9: inherited bit depth", h->bit_depth);
	CHECK(h->subsampling_x == 1 && h->subsampling_y == 1, "vp9: inter subsampling", 0);
	for (i = 0; i < DD_VP9_REFS_PER_FRAME; i++) {
		/* refs_match() indexes slot_ts[] with it */
		CHECK(h->ref_frame_idx[i] < DD_VP9_NUM_REF_FRAMES, "vp9: ref_frame_idx",
		      h->ref_frame_idx[i]);
		CHECK(h->ref_sign_bias[i] <= 1, "vp9: ref_sign_bias", h->ref_sign_bias[i]);
	}
}

static void vp9_frame(const uint8_t *data, size_t size, struct dd_vp9_slots *slots)
{
	struct dd_vp9_header h, hp;
	struct dd_vp9_slots before = *slots;
	const char *why = NULL;
	uint8_t *p;
	int ret;

	ret = dd_vp9_parse_header(data, size, slots, &h, &why);
	CHECK(ret == 0 || ret == -1, "vp9: return value", ret);
	CHECK(ret == 0 || why, "vp9: failed without a reason", 0);
	CHECK(!memcmp(&before, slots, sizeof(before)), "vp9: parse changed the slots", 0);
	if (!ret)
		vp9_bounds(&h, slots);

	/* A prefix gives the same header or none. */
	for (size_t k = 0; k < size && k < PREFIX_MAX; k++) {
		p = exact_copy(data, k);
		if (!p)
			continue;
		why = NULL;
		if (!dd_vp9_parse_header(p, k, slots, &hp, &why))
			CHECK(!ret && !memcmp(&h, &hp, sizeof(h)),
			      "vp9: a prefix parses differently", k);
		else
			CHECK(why, "vp9: prefix failed without a reason", k);
		free(p);
	}

	if (ret || h.show_existing_frame)
		return;
	dd_vp9_slots_update(slots, &h);
	for (unsigned int i = 0; i < DD_VP9_NUM_REF_FRAMES; i++) {
		int refreshed = !!(h.refresh_frame_flags & (1u << i));

		CHECK(refreshed ? slots->width[i] == h.width && slots->height[i] == h.height :
				  slots->width[i] == before.width[i] &&
				  slots->height[i] == before.height[i],
		      "vp9: slot update", i);
	}
}

/*
 * A VP8 job with the header's frame type and partitions as the stream
 * lays them out (RFC 6386 9.5: the sizes of all but the last token
 * partition follow the first partition, 3 bytes each), the last one taking
 * the rest, or -- with @raw -- the bytes there as they are (huge, wrapping
 * sums).  dd_job_check() accepting it means each partition is inside the
 * bitstream: the backend hands lavc the frame on that promise.
 */
static void vp8_partitions(const uint8_t *data, size_t size,
			   const struct dd_vp8_header *h, unsigned int log2_parts,
			   int raw)
{
	static struct daedalus_job job;
	struct v4l2_ctrl_vp8_frame *f = &job.params.vp8.frame;
	uint64_t at, end, sizes;
	const char *why;
	unsigned int i, n = 1u << log2_parts;

	fx_job_init(&job, DAEDALUS_CODEC_VP8, 1, 1, 64, 64);
	job.bitstream.bytesused = (uint32_t)size;
	job.bitstream.length = (uint32_t)size;
	f->flags = (h->key_frame ? V4L2_VP8_FRAME_FLAG_KEY_FRAME : 0) |
		   (h->show_frame ? V4L2_VP8_FRAME_FLAG_SHOW_FRAME : 0);
	f->version = h->version;
	f->first_part_size = h->first_part_size;
	f->first_part_header_bits = 0;
	f->num_dct_parts = (uint8_t)n;
	memset(f->dct_part_sizes, 0, sizeof(f->dct_part_sizes));
	sizes = (uint64_t)h->header_size + h->first_part_size;
	at = sizes + 3u * (n - 1);
	for (i = 0; i < n; i++) {
		uint64_t pos = sizes + 3u * i, v = 0;

		if (i < n - 1 && pos + 3 <= size)
			v = data[pos] | data[pos + 1] << 8 | (uint32_t)data[pos + 2] << 16;
		else if (i < n - 1 && raw && pos < size)
			v = 0xffffffu;
		if (i == n - 1 && !raw)
			v = size > at ? size - at : 0;
		else if (i == n - 1)
			v = 0xffffffffu - (uint32_t)at;
		f->dct_part_sizes[i] = (uint32_t)v;
		at += v;
	}
	why = NULL;
	if (dd_job_check(&job, sizeof(job), &why)) {
		CHECK(why, "vp8: job rejected without a reason", 0);
		return;
	}
	/* Accepted: walk the partitions again, in 64 bits. */
	end = (uint64_t)h->header_size + f->first_part_size;
	CHECK(f->first_part_size && end <= size, "vp8: first partition outside", end);
	end += 3u * (n - 1);
	CHECK(end <= size, "vp8: partition sizes outside", end);
	for (i = 0; i < n; i++) {
		end += f->dct_part_sizes[i];
		CHECK(end <= size, "vp8: token partition outside", i);
	}
}

static void vp8_frame(const uint8_t *data, size_t size, unsigned int log2_parts)
{
	struct dd_vp8_header h, hp;
	const char *why = NULL;
	uint8_t *p;
	int ret;

	ret = dd_vp8_parse_header(data, size, &h, &why);
	CHECK(ret == 0 || ret == -1, "vp8: return value", ret);
	if (ret) {
		CHECK(why, "vp8: failed without a reason", 0);
		return;
	}
	CHECK(h.key_frame <= 1 && h.show_frame <= 1, "vp8: a flag not 0/1", 0);
	CHECK(h.version <= 7, "vp8: version", h.version);
	CHECK(h.first_part_size < (1u << 19), "vp8: first_part_size", h.first_part_size);
	/* job_check.c counts 10 or 3 bytes before the first partition */
	CHECK(h.header_size == (h.key_frame ? 10u : 3u), "vp8: header_size", h.header_size);
	CHECK(h.header_size <= size, "vp8: header beyond the frame", h.header_size);
	if (h.key_frame) {
		CHECK(h.width <= 0x3fff && h.height <= 0x3fff, "vp8: size", h.width);
		CHECK(h.horizontal_scale <= 3 && h.vertical_scale <= 3, "vp8: scale", 0);
	} else {
		CHECK(!h.width && !h.height && !h.horizontal_scale && !h.vertical_scale,
		      "vp8: key frame fields on an inter frame", 0);
	}

	/* Exactly header_size bytes parse the same; one fewer does not parse. */
	p = exact_copy(data, h.header_size);
	if (p) {
		CHECK(!dd_vp8_parse_header(p, h.header_size, &hp, &why) &&
		      !memcmp(&h, &hp, sizeof(h)), "vp8: header_size bytes parse differently", 0);
		CHECK(dd_vp8_parse_header(p, h.header_size - 1, &hp, &why),
		      "vp8: a truncated header parsed", h.header_size - 1);
		free(p);
	}

	vp8_partitions(data, size, &h, log2_parts, 0);
	vp8_partitions(data, size, &h, log2_parts, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dd_vp9_slots slots;
	size_t pos = 0;

	memset(&slots, 0, sizeof(slots));
	for (unsigned int i = 0; i < FZ_VPX_FRAMES && pos < size; i++) {
		size_t len = data[pos++];
		uint8_t *frame;

		if (len > size - pos)
			len = size - pos;
		frame = exact_copy(data + pos, len);
		if (!frame)
			break;
		vp9_frame(frame, len, &slots);
		/* the partition count: bits the frame tag leaves to chance */
		vp8_frame(frame, len, len ? data[pos + len - 1] & 3 : 0);
		free(frame);
		pos += len;
	}
	return 0;
}

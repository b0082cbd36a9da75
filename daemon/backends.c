/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The backend registry: a static table, first match wins.  A backend with
 * codec DAEDALUS_CODEC_NONE ("pattern") decodes every codec but is only
 * used when forced by name.  A new backend is one file and one line here.
 */
#include <stdio.h>
#include <string.h>

#include "backends.h"
#include "job_check.h"

static const struct dd_backend *const dd_backends[] = {
	&dd_backend_pattern,
	&dd_backend_h264,
	&dd_backend_vp8,
	&dd_backend_vp9,
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	&dd_backend_av1,
#endif
};

#define DD_NUM_BACKENDS (sizeof(dd_backends) / sizeof(dd_backends[0]))

const struct dd_backend *dd_backend_find(enum daedalus_codec codec,
					 const char *forced_name)
{
	for (size_t i = 0; i < DD_NUM_BACKENDS; i++) {
		const struct dd_backend *b = dd_backends[i];

		if (forced_name) {
			if (strcmp(b->name, forced_name))
				continue;
			if (b->codec == DAEDALUS_CODEC_NONE || b->codec == codec)
				return b;
			return NULL;
		}
		if (b->codec == codec && codec != DAEDALUS_CODEC_NONE)
			return b;
	}
	return NULL;
}

int dd_backend_exists(const char *name)
{
	for (size_t i = 0; i < DD_NUM_BACKENDS; i++)
		if (!strcmp(dd_backends[i]->name, name))
			return 1;
	return 0;
}

uint32_t dd_backend_codec_mask(const char *forced_name)
{
	uint32_t mask = 0;

	for (int c = DAEDALUS_CODEC_NONE + 1; c < DAEDALUS_CODEC_COUNT; c++)
		if (dd_job_codec_supported(c) && dd_backend_find(c, forced_name))
			mask |= DAEDALUS_CODEC_BIT(c);
	return mask;
}

void dd_backend_list(char *buf, size_t size)
{
	size_t used = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < DD_NUM_BACKENDS && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? " " : "",
				 dd_backends[i]->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

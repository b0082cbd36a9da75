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
#include "log.h"
#include "proto_io.h"

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

const struct dd_backend *dd_backend_named(const char *name)
{
	for (size_t i = 0; i < DD_NUM_BACKENDS; i++)
		if (!strcmp(dd_backends[i]->name, name))
			return dd_backends[i];
	return NULL;
}

const struct dd_backend *dd_backend_for(enum daedalus_codec codec,
					const struct dd_backend *forced)
{
	if (forced)
		return forced->codec == DAEDALUS_CODEC_NONE || forced->codec == codec ?
		       forced : NULL;
	for (size_t i = 0; i < DD_NUM_BACKENDS; i++)
		if (dd_backends[i]->codec == codec && codec != DAEDALUS_CODEC_NONE)
			return dd_backends[i];
	return NULL;
}

const struct dd_backend *dd_backend_find(enum daedalus_codec codec,
					 const char *forced_name)
{
	const struct dd_backend *forced = NULL;

	if (forced_name) {
		forced = dd_backend_named(forced_name);
		if (!forced)
			return NULL;
	}
	return dd_backend_for(codec, forced);
}

const char *dd_backend_unavailable(const struct dd_backend *b)
{
	return b->unavailable ? b->unavailable() : NULL;
}

/* Appends @word to the string in @buf (@size bytes), after a space if not empty. */
static void append_word(char *buf, size_t size, const char *word)
{
	size_t used = strnlen(buf, size);

	if (used < size)
		snprintf(buf + used, size - used, "%s%s", used ? " " : "", word);
}

uint32_t dd_backend_codec_mask(const char *forced_name)
{
	char offered[64] = "";
	uint32_t mask = 0;

	for (int c = DAEDALUS_CODEC_NONE + 1; c < DAEDALUS_CODEC_COUNT; c++) {
		const struct dd_backend *b = dd_backend_find(c, forced_name);
		const char *why;

		if (!b || !dd_job_codec_supported(c))
			continue;
		why = dd_backend_unavailable(b);
		if (why) {
			dd_warn("%s not offered: %s", dd_codec_name(c), why);
			continue;
		}
		mask |= DAEDALUS_CODEC_BIT(c);
		append_word(offered, sizeof(offered), dd_codec_name(c));
	}
	dd_info("codecs offered: %s", mask ? offered : "none");
	return mask;
}

void dd_backend_list(char *buf, size_t size)
{
	if (!size)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < DD_NUM_BACKENDS; i++) {
		append_word(buf, size, dd_backends[i]->name);
		if (dd_backend_unavailable(dd_backends[i]))
			append_word(buf, size, "[unavailable]");
	}
}

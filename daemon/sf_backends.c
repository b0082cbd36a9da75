/* SPDX-License-Identifier: BSD-2-Clause */
/* The stream backends of the stateful node: a static table, first match wins. */
#include <stddef.h>

#include "sf_backend.h"
#include "sf_lavc.h"

static const struct dd_sf_backend *const dd_sf_backends[] = {
	&dd_sf_backend_lavc,
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	&dd_sf_backend_dav1d,
#endif
};

#define DD_SF_NUM_BACKENDS (sizeof(dd_sf_backends) / sizeof(dd_sf_backends[0]))

/* The codecs @b decodes here: its libraries load (for lavc, per codec). */
static uint32_t runnable(const struct dd_sf_backend *b)
{
	if (b->unavailable && b->unavailable())
		return 0;
	return b == &dd_sf_backend_lavc ? dd_sf_lavc_codecs() : b->codecs;
}

const struct dd_sf_backend *dd_sf_backend_find(enum daedalus_codec codec)
{
	if (codec <= DAEDALUS_CODEC_NONE || codec >= DAEDALUS_CODEC_COUNT)
		return NULL;
	for (size_t i = 0; i < DD_SF_NUM_BACKENDS; i++)
		if (runnable(dd_sf_backends[i]) & DAEDALUS_CODEC_BIT(codec))
			return dd_sf_backends[i];
	return NULL;
}

uint32_t dd_sf_backend_codec_mask(void)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < DD_SF_NUM_BACKENDS; i++)
		mask |= runnable(dd_sf_backends[i]);
	return mask;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* What dd_sf_backend_lavc decodes here (sf_backends.c's codec mask). */
#ifndef DAEDALUS_SF_LAVC_H
#define DAEDALUS_SF_LAVC_H

#include <stdint.h>

/* DAEDALUS_CODEC_BIT()s whose parser (if it needs one) and decoder load. */
uint32_t dd_sf_lavc_codecs(void);

#endif /* DAEDALUS_SF_LAVC_H */

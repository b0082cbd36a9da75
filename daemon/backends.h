/* SPDX-License-Identifier: BSD-2-Clause */
/* The backend registry (backends.c), beyond dd_backend_find() of backend.h. */
#ifndef DAEDALUS_BACKENDS_H
#define DAEDALUS_BACKENDS_H

#include <stdint.h>

#include "backend.h"

/* The backend called @name, or NULL. */
const struct dd_backend *dd_backend_named(const char *name);

/* Why backend @b cannot decode here, or NULL: its unavailable() hook. */
const char *dd_backend_unavailable(const struct dd_backend *b);

/*
 * DAEDALUS_CODEC_BIT()s of the codecs a backend (or only @forced_name)
 * decodes, dd_job_check() accepts and whose backend can run here (loading
 * the libraries it needs): what HELLO announces.  Logs the codecs offered
 * (info) and why any other is not (warning).
 */
uint32_t dd_backend_codec_mask(const char *forced_name);

/*
 * Writes the names of all backends, space separated, to @buf, each that
 * cannot run here followed by "[unavailable]" (its library is loaded to
 * find out).
 */
void dd_backend_list(char *buf, size_t size);

#endif /* DAEDALUS_BACKENDS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The round trip of the AV1 headers: the frame header dav1d parsed from
 * the OBUs av1_obu.c rebuilt, compared field by field with the controls
 * they were rebuilt from.  A difference is a bug in the rebuild (or
 * controls that contradict themselves), never a property of the stream.
 */
#ifndef DAEDALUS_AV1_HEADER_CHECK_H
#define DAEDALUS_AV1_HEADER_CHECK_H

#include <dav1d/headers.h>

#include "daedalus_proto.h"

/* NULL if @h says what @p says, else which field differs. */
const char *dd_av1_header_mismatch(const Dav1dFrameHeader *h,
				   const struct daedalus_av1_params *p);

#endif /* DAEDALUS_AV1_HEADER_CHECK_H */

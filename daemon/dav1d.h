/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libdav1d loaded at run time, like libavcodec (lavc.h): the daemon is
 * compiled against dav1d's headers (Dav1dSettings and Dav1dPicture change
 * between API versions: 6 on Debian 12, 7 on Debian 13) and dlopen()s the
 * soname of the headers' API major version at start, before HELLO, when
 * the AV1 backend is in use: without it AV1 is not announced.
 *
 * DAEDALUS_LIBDAV1D_SONAME, if set, is dlopen()ed instead: the unit tests
 * name a library that does not exist (tests/unit/test_offer.c).
 */
#ifndef DAEDALUS_DAV1D_H
#define DAEDALUS_DAV1D_H

#include <dav1d/dav1d.h>

/* The functions the AV1 backend uses; NULL until dd_dav1d_load() succeeded. */
struct dd_dav1d {
	const char *(*dav1d_version)(void);
	void (*dav1d_default_settings)(Dav1dSettings *s);
	int (*dav1d_open)(Dav1dContext **c, const Dav1dSettings *s);
	void (*dav1d_close)(Dav1dContext **c);
	void (*dav1d_flush)(Dav1dContext *c);
	int (*dav1d_send_data)(Dav1dContext *c, Dav1dData *in);
	int (*dav1d_get_picture)(Dav1dContext *c, Dav1dPicture *out);
	void (*dav1d_picture_unref)(Dav1dPicture *p);
	uint8_t *(*dav1d_data_create)(Dav1dData *data, size_t sz);
	void (*dav1d_data_unref)(Dav1dData *data);
};

/*
 * Loads libdav1d and resolves every symbol, once per process (thread-safe;
 * later calls return the first outcome).  Returns the table, or NULL
 * (dd_dav1d_error() says why; the caller logs it, daedalusd at start).
 */
const struct dd_dav1d *dd_dav1d_load(void);

/* The reason the last dd_dav1d_load() failed, or "" if it did not. */
const char *dd_dav1d_error(void);

/*
 * dav1d's defaults with @threads threads, of which ceil(sqrt(threads))
 * (at most 8: dav1d's own default) decode frames at once
 * (max_frame_delay, returned), and dav1d's log at debug level: a damaged
 * stream is answered with a reason, dav1d's words are detail.
 */
unsigned int dd_dav1d_settings(const struct dd_dav1d *lib, Dav1dSettings *s,
			       unsigned int threads);

#endif /* DAEDALUS_DAV1D_H */

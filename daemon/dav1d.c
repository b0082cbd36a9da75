/* SPDX-License-Identifier: BSD-2-Clause */
#include "dav1d.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define STR_(x) #x
#define STR(x) STR_(x)

#define DAV1D_SONAME "libdav1d.so." STR(DAV1D_API_VERSION_MAJOR)

static struct dd_dav1d dav1d;
static const struct dd_dav1d *dav1d_loaded;
static char dav1d_err[512];
static pthread_once_t dav1d_once = PTHREAD_ONCE_INIT;

#define SYM(n) { #n, (void **)&dav1d.n }

static const struct {
	const char *name;
	void **slot;
} syms[] = {
	SYM(dav1d_version),
	SYM(dav1d_default_settings),
	SYM(dav1d_open),
	SYM(dav1d_close),
	SYM(dav1d_flush),
	SYM(dav1d_send_data),
	SYM(dav1d_get_picture),
	SYM(dav1d_picture_unref),
	SYM(dav1d_data_create),
	SYM(dav1d_data_unref),
};

static void dav1d_do_load(void)
{
	const char *soname = secure_getenv("DAEDALUS_LIBDAV1D_SONAME");
	unsigned int (*version_api)(void);
	void *lib;
	size_t i;

	if (!soname)
		soname = DAV1D_SONAME;
	/* RTLD_LOCAL: nothing else in the daemon sees dav1d's symbols. */
	lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(dav1d_err, sizeof(dav1d_err),
			 "cannot load %s (install libdav1d%d): %s", soname,
			 DAV1D_API_VERSION_MAJOR, dlerror());
		goto fail;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(lib, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(dav1d_err, sizeof(dav1d_err),
				 "%s has no symbol %s", soname, syms[i].name);
			goto fail_lib;
		}
	}
	/* Only dav1d 1.3 (API 7) and later say their API version. */
	*(void **)&version_api = dlsym(lib, "dav1d_version_api");
	if (version_api && version_api() >> 16 != DAV1D_API_VERSION_MAJOR) {
		snprintf(dav1d_err, sizeof(dav1d_err),
			 "%s is dav1d API %u, built for %d (a broken install)",
			 soname, version_api() >> 16, DAV1D_API_VERSION_MAJOR);
		goto fail_lib;
	}
	dd_info("dav1d %s loaded", dav1d.dav1d_version());
	dav1d_loaded = &dav1d;
	return;	/* the library stays loaded for the life of the process */

fail_lib:
	dlclose(lib);
fail:
	memset(&dav1d, 0, sizeof(dav1d));
}

const struct dd_dav1d *dd_dav1d_load(void)
{
	pthread_once(&dav1d_once, dav1d_do_load);
	return dav1d_loaded;
}

const char *dd_dav1d_error(void)
{
	return dav1d_err;
}

static void dav1d_log(void *cookie, const char *fmt, va_list ap)
{
	(void)cookie;
	dd_vlog_lib(DD_LOG_DEBUG, "dav1d", fmt, ap);
}

unsigned int dd_dav1d_settings(const struct dd_dav1d *lib, Dav1dSettings *s,
			       unsigned int threads)
{
	unsigned int frames = 1;

	while (frames * frames < threads && frames < 8)
		frames++;
	lib->dav1d_default_settings(s);
	s->n_threads = (int)threads;
	s->max_frame_delay = (int)frames;
	s->logger.callback = dav1d_log;
	return frames;
}

/* SPDX-License-Identifier: BSD-2-Clause */
#include "dav1d.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define STR_(x) #x
#define STR(x) STR_(x)

#define DAV1D_SONAME "libdav1d.so." STR(DAV1D_API_VERSION_MAJOR)

static struct dd_dav1d dav1d;
static const struct dd_dav1d *dav1d_loaded;
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
	unsigned int (*version_api)(void);
	void *lib;
	size_t i;

	/* RTLD_LOCAL: nothing else in the daemon sees dav1d's symbols. */
	lib = dlopen(DAV1D_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		dd_err("cannot load %s (install libdav1d%d): %s", DAV1D_SONAME,
		       DAV1D_API_VERSION_MAJOR, dlerror());
		return;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(lib, syms[i].name);
		if (!*syms[i].slot) {
			dd_err("%s has no symbol %s", DAV1D_SONAME, syms[i].name);
			goto fail;
		}
	}
	/* Only dav1d 1.3 (API 7) and later say their API version. */
	*(void **)&version_api = dlsym(lib, "dav1d_version_api");
	if (version_api && version_api() >> 16 != DAV1D_API_VERSION_MAJOR) {
		dd_err("%s is dav1d API %u, built for %d (a broken install)",
		       DAV1D_SONAME, version_api() >> 16, DAV1D_API_VERSION_MAJOR);
		goto fail;
	}
	dd_info("dav1d %s loaded", dav1d.dav1d_version());
	dav1d_loaded = &dav1d;
	return;	/* the library stays loaded for the life of the process */

fail:
	dlclose(lib);
	memset(&dav1d, 0, sizeof(dav1d));
}

const struct dd_dav1d *dd_dav1d_load(void)
{
	pthread_once(&dav1d_once, dav1d_do_load);
	return dav1d_loaded;
}

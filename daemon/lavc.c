/* SPDX-License-Identifier: BSD-2-Clause */
#include "lavc.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#include <libavutil/log.h>

#define STR_(x) #x
#define STR(x) STR_(x)

#define LAVC_SONAME "libavcodec.so." STR(LIBAVCODEC_VERSION_MAJOR)
#define LAVU_SONAME "libavutil.so." STR(LIBAVUTIL_VERSION_MAJOR)

static struct dd_lavc lavc;
static const struct dd_lavc *lavc_loaded;
static char lavc_err[512];
static pthread_once_t lavc_once = PTHREAD_ONCE_INIT;

struct sym {
	const char *name;
	void **slot;
	int from_avutil;
};

#define SYM(n, u) { #n, (void **)&lavc.n, u }

static const struct sym syms[] = {
	SYM(avcodec_version, 0),
	SYM(avcodec_find_decoder, 0),
	SYM(avcodec_alloc_context3, 0),
	SYM(avcodec_open2, 0),
	SYM(avcodec_free_context, 0),
	SYM(avcodec_send_packet, 0),
	SYM(avcodec_receive_frame, 0),
	SYM(avcodec_flush_buffers, 0),
	SYM(avcodec_align_dimensions2, 0),
	SYM(av_packet_alloc, 0),
	SYM(av_packet_free, 0),
	SYM(av_parser_init, 0),
	SYM(av_parser_parse2, 0),
	SYM(av_parser_close, 0),
	SYM(avutil_version, 1),
	SYM(av_frame_alloc, 1),
	SYM(av_frame_free, 1),
	SYM(av_frame_unref, 1),
	SYM(av_frame_move_ref, 1),
	SYM(av_buffer_create, 1),
	SYM(av_buffer_unref, 1),
	SYM(av_log_set_level, 1),
	SYM(av_log_set_callback, 1),
};

/*
 * FFmpeg logs to stderr by default.  Its errors about a damaged stream are
 * expected (the job is answered CORRUPT): info level, warnings debug.
 */
static void lavc_log(void *avcl, int level, const char *fmt, va_list ap)
{
	(void)avcl;
	if (level > AV_LOG_WARNING)
		return;
	dd_vlog_lib(level > AV_LOG_ERROR ? DD_LOG_DEBUG : DD_LOG_INFO, "lavc",
		    fmt, ap);
}

static void lavc_do_load(void)
{
	const char *lavc_soname = secure_getenv("DAEDALUS_LIBAVCODEC_SONAME");
	void *avutil, *avcodec;
	size_t i;

	if (!lavc_soname)
		lavc_soname = LAVC_SONAME;

	/* RTLD_LOCAL: nothing else in the daemon sees FFmpeg's symbols. */
	avutil = dlopen(LAVU_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!avutil) {
		snprintf(lavc_err, sizeof(lavc_err),
			 "cannot load %s (install FFmpeg %d's libavutil): %s",
			 LAVU_SONAME, LIBAVUTIL_VERSION_MAJOR, dlerror());
		goto fail;
	}
	avcodec = dlopen(lavc_soname, RTLD_NOW | RTLD_LOCAL);
	if (!avcodec) {
		snprintf(lavc_err, sizeof(lavc_err),
			 "cannot load %s (install libavcodec%d): %s",
			 lavc_soname, LIBAVCODEC_VERSION_MAJOR, dlerror());
		goto fail_avutil;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(syms[i].from_avutil ? avutil : avcodec,
				      syms[i].name);
		if (!*syms[i].slot) {
			snprintf(lavc_err, sizeof(lavc_err),
				 "%s has no symbol %s",
				 syms[i].from_avutil ? LAVU_SONAME : lavc_soname,
				 syms[i].name);
			goto fail_avcodec;
		}
	}
	/* The soname matches; a mismatch here means a broken install. */
	if (lavc.avcodec_version() >> 16 != LIBAVCODEC_VERSION_MAJOR ||
	    lavc.avutil_version() >> 16 != LIBAVUTIL_VERSION_MAJOR) {
		snprintf(lavc_err, sizeof(lavc_err),
			 "libavcodec %u / libavutil %u loaded, built for %d / %d",
			 lavc.avcodec_version() >> 16,
			 lavc.avutil_version() >> 16,
			 LIBAVCODEC_VERSION_MAJOR, LIBAVUTIL_VERSION_MAJOR);
		goto fail_avcodec;
	}
	lavc.av_log_set_callback(lavc_log);
	lavc_loaded = &lavc;
	return;	/* the libraries stay loaded for the life of the process */

fail_avcodec:
	dlclose(avcodec);
fail_avutil:
	dlclose(avutil);
fail:
	memset(&lavc, 0, sizeof(lavc));
}

const struct dd_lavc *dd_lavc_load(void)
{
	pthread_once(&lavc_once, lavc_do_load);
	return lavc_loaded;
}

const char *dd_lavc_error(void)
{
	return lavc_err;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The codecs HELLO announces (dd_backend_codec_mask()) are those whose
 * backend can run here: with libavcodec or libdav1d made unloadable (the
 * DAEDALUS_LIBAVCODEC_SONAME and DAEDALUS_LIBDAV1D_SONAME overrides of
 * lavc.h and dav1d.h) their codecs are left out, and --backend pattern,
 * which needs no library, still offers every codec.  The stateful node's
 * codecs (dd_sf_backend_codec_mask()) and stream backends
 * (dd_sf_backend_find()) follow the same libraries.  A library is loaded
 * once per process, so each case runs in a child of its own.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends.h"
#include "dd_test.h"
#include "job_check.h"
#include "lavc.h"
#include "sf_backend.h"
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
#include "dav1d.h"
#endif

#define MISSING		"libdaedalus-test-missing.so.0"
#define BIT(c)		DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_##c)
#define LAVC_CODECS	(BIT(H264) | BIT(VP8) | BIT(VP9))

enum { HIDE_LAVC = 1, HIDE_DAV1D = 2 };

/* The codecs whose library loads in this process (nothing hidden). */
static uint32_t loadable(void)
{
	uint32_t mask = 0;

	if (dd_lavc_load())
		mask |= LAVC_CODECS;
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	if (dd_dav1d_load())
		mask |= BIT(AV1);
#endif
	return mask;
}

/* Every codec the daemon can check jobs of: what "pattern" offers. */
static uint32_t checkable(void)
{
	uint32_t mask = 0;

	for (int c = DAEDALUS_CODEC_NONE + 1; c < DAEDALUS_CODEC_COUNT; c++)
		if (dd_job_codec_supported(c))
			mask |= DAEDALUS_CODEC_BIT(c);
	return mask;
}

/* The backend of @codec says it cannot run, naming the hidden library. */
static void check_why(enum daedalus_codec codec)
{
	const char *why = dd_backend_unavailable(dd_backend_find(codec, NULL));

	CHECK(why && strstr(why, MISSING));
}

static void child(unsigned int hide, uint32_t expected, uint32_t loaded)
{
	uint32_t all = checkable();

	if (hide & HIDE_LAVC)
		setenv("DAEDALUS_LIBAVCODEC_SONAME", MISSING, 1);
	if (hide & HIDE_DAV1D)
		setenv("DAEDALUS_LIBDAV1D_SONAME", MISSING, 1);

	CHECK_EQ(dd_backend_codec_mask(NULL), expected & loaded & all);
	CHECK_EQ(dd_backend_codec_mask("pattern"), all);
	CHECK_EQ(dd_backend_codec_mask("vp9"), expected & loaded & BIT(VP9));
	if (hide & HIDE_LAVC) {
		check_why(DAEDALUS_CODEC_H264);
		check_why(DAEDALUS_CODEC_VP8);
		check_why(DAEDALUS_CODEC_VP9);
	}
	if (hide & HIDE_DAV1D && (all & BIT(AV1)))
		check_why(DAEDALUS_CODEC_AV1);

	CHECK_EQ(dd_sf_backend_codec_mask(), expected & loaded & all);
	for (int c = DAEDALUS_CODEC_NONE; c <= DAEDALUS_CODEC_COUNT; c++)
		CHECK_EQ(!!dd_sf_backend_find(c),
			 !!(expected & loaded & all & DAEDALUS_CODEC_BIT(c)));
	if (hide & HIDE_LAVC)
		CHECK(strstr(dd_sf_backend_lavc.unavailable(), MISSING));
}

/* Runs child() in a process of its own: 0 if its checks passed. */
static int in_child(unsigned int hide, uint32_t expected, uint32_t loaded)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		child(hide, expected, loaded);
		_exit(dd_test_failures ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

/* What this machine loads, found in a child: the parent loads nothing. */
static uint32_t loadable_here(void)
{
	int fds[2];
	uint32_t mask = 0;
	pid_t pid;

	if (pipe(fds))
		return 0;
	fflush(NULL);
	pid = fork();
	if (!pid) {
		mask = loadable();
		_exit(write(fds[1], &mask, sizeof(mask)) == sizeof(mask) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &mask, sizeof(mask)) != sizeof(mask))
		mask = 0;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return mask;
}

int main(void)
{
	uint32_t loaded = loadable_here();

	printf("codecs whose library loads here: 0x%x\n", loaded);
	CHECK_EQ(in_child(0, ~0u, loaded), 0);
	CHECK_EQ(in_child(HIDE_DAV1D, ~BIT(AV1), loaded), 0);
	CHECK_EQ(in_child(HIDE_LAVC, ~LAVC_CODECS, loaded), 0);
	CHECK_EQ(in_child(HIDE_LAVC | HIDE_DAV1D, 0, loaded), 0);
	return dd_test_result("test_offer");
}

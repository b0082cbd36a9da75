/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The driver shared by the decode targets (fuzz_h264_decode,
 * fuzz_vp9_decode, fuzz_vp8_decode, fuzz_av1_decode): a backend driven the way the daemon
 * drives it, several jobs per input, with buffers the harness allocates so
 * that any access outside them is caught.  fuzz_decode.c has the rules;
 * docs/fuzzing.md the input format.  A target is one line:
 *
 *	FZ_DECODE_TARGET("fuzz_vp9_decode", dd_backend_vp9)
 */
#ifndef DD_FUZZ_DECODE_H
#define DD_FUZZ_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/*
 * Once per process: logging, the decoder library of @backend's codec
 * (dav1d for AV1, libavcodec otherwise); @name prefixes its messages.
 */
void fz_decode_init(const char *name, const struct dd_backend *backend);
/* One input: a job stream (fuzz_input.h) for @backend's codec. */
void fz_decode_input(const struct dd_backend *backend, const uint8_t *data,
		     size_t size);

#define FZ_DECODE_TARGET(name, backend)					\
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);	\
	int LLVMFuzzerInitialize(int *argc, char ***argv);		\
									\
	int LLVMFuzzerInitialize(int *argc, char ***argv)		\
	{								\
		(void)argc;						\
		(void)argv;						\
		fz_decode_init(name, &(backend));			\
		return 0;						\
	}								\
									\
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)	\
	{								\
		fz_decode_input(&(backend), data, size);		\
		return 0;						\
	}

#endif /* DD_FUZZ_DECODE_H */

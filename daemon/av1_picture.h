/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pictures of a dav1d decoder: its Dav1dPicAllocator, for the AV1
 * backend.
 *
 * The picture the job outputs is decoded straight into the job's CAPTURE
 * buffer when the buffer can hold it as dav1d requires (8-bit 4:2:0 into
 * YUV420: planes 64-byte aligned, the picture's width and height rounded
 * up to 128 within the luma stride and rows, 64 bytes to spare after the
 * last plane; the kernel's AV1 layout is made so): nothing is copied.
 * Into NV12 only the luma plane is, the chroma planes live apart and the
 * backend interleaves them.  Every other picture (10-bit, a layout that
 * does not fit) lives in memory of its own, which the backend copies from.
 *
 * Film grain: dav1d decodes a frame with grain into a clean picture, its
 * reference, and applies the grain into a second picture it allocates
 * when the frame is output (dav1d_get_picture()).  The clean one then
 * lives apart; only the output picture goes into the CAPTURE buffer.
 *
 * dav1d keeps its references, so a CAPTURE buffer stays in use after its
 * job: each picture holds a reference to its buffer's mapping until dav1d
 * releases it, and dav1d only reads it.  A client that queues a buffer
 * for a new picture while dav1d still holds one in it (it must not while
 * the picture is a reference it names) gets the new picture copied in,
 * and the old one is marked overwritten: a later job naming it as a
 * reference is CORRUPT.
 *
 * alloc and dd_av1_pictures_target()/_output() are called from the
 * thread that runs the decoder (dav1d allocates while it is fed, and the
 * film grain picture while it outputs, even with frame threads); release
 * may come from dav1d's threads.
 */
#ifndef DAEDALUS_AV1_PICTURE_H
#define DAEDALUS_AV1_PICTURE_H

#include <stdint.h>

#include <dav1d/dav1d.h>

#include "backend.h"

struct dd_av1_pictures;

struct dd_av1_pictures *dd_av1_pictures_new(void);
/* After dav1d_close(), which releases every picture. */
void dd_av1_pictures_free(struct dd_av1_pictures *pics);

/* Sets @s's allocator to @pics. */
void dd_av1_pictures_use(struct dd_av1_pictures *pics, Dav1dSettings *s);

/*
 * The picture of the job fed to dav1d from now on (its timestamp @ts) goes
 * into @target if it fits; NULL: none.  dav1d still holding a picture in
 * @target's buffer makes the job copy (returns 0; else 1), and marks that
 * picture overwritten.
 */
int dd_av1_pictures_target(struct dd_av1_pictures *pics,
			   const struct dd_picture *target, uint64_t ts);
/*
 * dav1d is about to output the picture of the job of timestamp @ts, whose
 * film grain picture goes into @target if it fits (only if
 * dd_av1_pictures_target() returned 1 for it); NULL: the output is over.
 */
void dd_av1_pictures_output(struct dd_av1_pictures *pics,
			    const struct dd_picture *target, uint64_t ts);
/* Whether a picture dav1d holds for the job of timestamp @ts was overwritten. */
int dd_av1_pictures_overwritten(struct dd_av1_pictures *pics, uint64_t ts);

#endif /* DAEDALUS_AV1_PICTURE_H */

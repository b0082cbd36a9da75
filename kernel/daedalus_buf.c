// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: buffer helpers both video nodes use: a buffer's id and
 * BUF_GONE record, its dma-buf, its description in a record, and the
 * CAPTURE layout.
 */

#include <linux/dma-buf.h>
#include <linux/fcntl.h>

#include "daedalus.h"

/*
 * buf_init: a new id for every call (vb2 calls buf_cleanup and buf_init
 * again when a DMABUF buffer is queued with another dma-buf, so the daemon
 * never maps the old memory under the new buffer's id).
 */
int daedalus_buf_setup(struct daedalus_dev *dev, struct daedalus_buffer *buf)
{
	buf->gone = daedalus_bridge_gone_alloc(false);
	if (!buf->gone)
		return -ENOMEM;
	buf->id = atomic64_inc_return(&dev->next_buf_id);
	buf->gone->buf_gone.buf_id = buf->id;
	buf->dbuf = NULL;
	return 0;
}

/* buf_cleanup: the daemon hears of it if it holds the fd. */
void daedalus_buf_release(struct daedalus_dev *dev, struct daedalus_buffer *buf)
{
	daedalus_bridge_buf_gone(dev, buf);
	if (buf->dbuf)
		dma_buf_put(buf->dbuf);
	buf->dbuf = NULL;
}

/*
 * The buffer's dma-buf, exported (MMAP) or taken (DMABUF) once.  The daemon
 * only reads the bitstream: an OUTPUT buffer is exported read-only, so its
 * fd cannot be mapped for writing.  A client's own dma-buf (DMABUF) keeps
 * the mode the client gave it.
 */
struct dma_buf *daedalus_buf_dmabuf(struct vb2_v4l2_buffer *vbuf)
{
	struct daedalus_buffer *buf = to_daedalus_buffer(vbuf);
	struct vb2_buffer *vb = &vbuf->vb2_buf;
	struct dma_buf *dbuf = NULL;

	if (buf->dbuf)
		return buf->dbuf;

	if (vb->memory == VB2_MEMORY_MMAP && vb->vb2_queue->mem_ops->get_dmabuf) {
		dbuf = vb->vb2_queue->mem_ops->get_dmabuf(vb,
							  vb->planes[0].mem_priv,
							  V4L2_TYPE_IS_OUTPUT(vb->type) ?
							  O_RDONLY : O_RDWR);
		if (IS_ERR(dbuf))
			dbuf = NULL;
	} else if (vb->memory == VB2_MEMORY_DMABUF && vb->planes[0].dbuf) {
		dbuf = vb->planes[0].dbuf;
		get_dma_buf(dbuf);
	}
	buf->dbuf = dbuf;
	return dbuf;
}

void daedalus_fill_buf(struct daedalus_buf *out, struct vb2_v4l2_buffer *vbuf,
		       bool bitstream)
{
	struct vb2_buffer *vb = &vbuf->vb2_buf;
	u32 offset = bitstream ? vb->planes[0].data_offset : 0;
	u32 used = vb2_get_plane_payload(vb, 0);

	out->id = to_daedalus_buffer(vbuf)->id;
	out->fd = -1;
	out->length = vb2_plane_size(vb, 0);
	out->offset = offset;
	out->bytesused = bitstream && used > offset ? used - offset : 0;
}

/*
 * Fill @pix with the CAPTURE layout of @fourcc for @width x @height, both
 * rounded up to @align: luma stride ALIGN(width, 128), and with @spare,
 * spare room after the picture (the stateless node's decoders write in
 * place and over-read past the last plane).  Without it sizeimage is the
 * planes' size exactly: GStreamer's v4l2videodec sizes its pool by the
 * planes and, at a flushing seek, discards a CAPTURE buffer of any other
 * size, which deadlocks it (gstv4l2bufferpool.c: _flush() holds the pool
 * lock over _streamoff(), whose freed buffer resurrects and requeues one).
 */
void daedalus_fill_picture(u32 fourcc, u32 width, u32 height,
			   unsigned int align, bool spare,
			   struct v4l2_pix_format_mplane *pix)
{
	u32 bpl, room;

	width = ALIGN(clamp(width, 1U, DAEDALUS_MAX_WIDTH), align);
	height = ALIGN(clamp(height, 1U, DAEDALUS_MAX_HEIGHT), align);
	/* Every format offered is in v4l2_format_info(): this cannot fail. */
	v4l2_fill_pixfmt_mp(pix, fourcc, ALIGN(width, 128), height);
	pix->width = width;
	pix->field = V4L2_FIELD_NONE;
	bpl = pix->plane_fmt[0].bytesperline;
	if (spare) {
		room = max_t(u32, 2 * bpl, PAGE_SIZE);
		pix->plane_fmt[0].sizeimage =
			PAGE_ALIGN(pix->plane_fmt[0].sizeimage + room);
	}
	memset(pix->plane_fmt[0].reserved, 0,
	       sizeof(pix->plane_fmt[0].reserved));
	pix->flags = 0;
}

/* vb2's buf_out_validate of both nodes: a coded buffer has no field order. */
int daedalus_buf_out_validate(struct vb2_buffer *vb)
{
	to_vb2_v4l2_buffer(vb)->field = V4L2_FIELD_NONE;
	return 0;
}

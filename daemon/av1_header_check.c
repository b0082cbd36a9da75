/* SPDX-License-Identifier: BSD-2-Clause */
#include "av1_header_check.h"

#define SAME(a, b, what) \
	do { \
		if ((long)(a) != (long)(b)) \
			return "av1: dav1d read another " what " than the controls say"; \
	} while (0)

static const char *check_tiles(const Dav1dFrameHeader *h,
			       const struct v4l2_ctrl_av1_sequence *seq,
			       const struct v4l2_av1_tile_info *t)
{
	int shift = seq->flags & V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK ? 5 : 4;
	int i;

	SAME(h->tiling.cols, t->tile_cols, "tile column count");
	SAME(h->tiling.rows, t->tile_rows, "tile row count");
	SAME(h->tiling.uniform, !!(t->flags & V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING),
	     "uniform_tile_spacing_flag");
	for (i = 0; i < h->tiling.cols && i < V4L2_AV1_MAX_TILE_COLS; i++)
		SAME((long)h->tiling.col_start_sb[i] << shift, t->mi_col_starts[i],
		     "tile column start");
	for (i = 0; i < h->tiling.rows && i < V4L2_AV1_MAX_TILE_ROWS; i++)
		SAME((long)h->tiling.row_start_sb[i] << shift, t->mi_row_starts[i],
		     "tile row start");
	if (h->tiling.cols * h->tiling.rows > 1)
		SAME(h->tiling.update, t->context_update_tile_id, "context_update_tile_id");
	return NULL;
}

static const char *check_quant_seg(const Dav1dFrameHeader *h,
				   const struct v4l2_ctrl_av1_frame *f)
{
	const struct v4l2_av1_quantization *q = &f->quantization;
	const struct v4l2_av1_segmentation *sg = &f->segmentation;
	int i;

	SAME(h->quant.yac, q->base_q_idx, "base_q_idx");
	SAME(h->quant.ydc_delta, q->delta_q_y_dc, "DeltaQYDc");
	SAME(h->quant.udc_delta, q->delta_q_u_dc, "DeltaQUDc");
	SAME(h->quant.uac_delta, q->delta_q_u_ac, "DeltaQUAc");
	SAME(h->quant.qm, !!(q->flags & V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX),
	     "using_qmatrix");
	if (h->quant.qm)
		SAME(h->quant.qm_y, q->qm_y, "qm_y");
	SAME(h->delta.q.present, !!(q->flags & V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT),
	     "delta_q_present");
	if (h->delta.q.present)
		SAME(h->delta.q.res_log2, q->delta_q_res, "delta_q_res");
	SAME(h->segmentation.enabled, !!(sg->flags & V4L2_AV1_SEGMENTATION_FLAG_ENABLED),
	     "segmentation_enabled");
	if (!h->segmentation.enabled)
		return NULL;
	for (i = 0; i < V4L2_AV1_MAX_SEGMENTS; i++) {
		const Dav1dSegmentationData *d = &h->segmentation.seg_data.d[i];
		const int16_t *v = sg->feature_data[i];
		uint8_t on = sg->feature_enabled[i];

		SAME(d->delta_q, on & 1 ? v[V4L2_AV1_SEG_LVL_ALT_Q] : 0, "segment delta_q");
		SAME(d->delta_lf_y_v, on & 2 ? v[V4L2_AV1_SEG_LVL_ALT_LF_Y_V] : 0,
		     "segment loop filter delta");
		SAME(d->ref, on & (1 << V4L2_AV1_SEG_LVL_REF_FRAME) ?
		     v[V4L2_AV1_SEG_LVL_REF_FRAME] : -1, "segment reference");
		SAME(d->skip, !!(on & (1 << V4L2_AV1_SEG_LVL_REF_SKIP)), "segment skip");
	}
	return NULL;
}

static const char *check_filters(const Dav1dFrameHeader *h,
				 const struct v4l2_ctrl_av1_sequence *seq,
				 const struct v4l2_ctrl_av1_frame *f, int coded_lossless)
{
	const struct v4l2_av1_loop_filter *lf = &f->loop_filter;
	const struct v4l2_av1_cdef *cd = &f->cdef;
	int i;

	if (coded_lossless || h->allow_intrabc)
		return NULL;
	SAME(h->loopfilter.level_y[0], lf->level[0], "loop_filter_level[0]");
	SAME(h->loopfilter.level_y[1], lf->level[1], "loop_filter_level[1]");
	SAME(h->loopfilter.sharpness, lf->sharpness, "loop_filter_sharpness");
	SAME(h->loopfilter.mode_ref_delta_enabled,
	     !!(lf->flags & V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED),
	     "loop_filter_delta_enabled");
	if (h->loopfilter.mode_ref_delta_enabled) {
		for (i = 0; i < V4L2_AV1_TOTAL_REFS_PER_FRAME; i++)
			SAME(h->loopfilter.mode_ref_deltas.ref_delta[i], lf->ref_deltas[i],
			     "loop_filter_ref_deltas");
		for (i = 0; i < 2; i++)
			SAME(h->loopfilter.mode_ref_deltas.mode_delta[i], lf->mode_deltas[i],
			     "loop_filter_mode_deltas");
	}
	if (seq->flags & V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF) {
		SAME(h->cdef.n_bits, cd->bits, "cdef_bits");
		for (i = 0; i < (1 << cd->bits); i++)
			SAME(h->cdef.y_strength[i], cd->y_pri_strength[i] << 2 |
			     (cd->y_sec_strength[i] == 4 ? 3 : cd->y_sec_strength[i]),
			     "cdef luma strength");
	}
	return NULL;
}

static const char *check_motion(const Dav1dFrameHeader *h,
				const struct v4l2_ctrl_av1_frame *f)
{
	int i, k;

	for (i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++)
		SAME(h->refidx[i], f->ref_frame_idx[i], "ref_frame_idx");
	SAME(h->subpel_filter_mode, f->interpolation_filter, "interpolation_filter");
	SAME(h->switchable_comp_refs, !!(f->flags & V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT),
	     "reference_select");
	SAME(h->skip_mode_enabled, !!(f->flags & V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT),
	     "skip_mode_present");
	for (i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++) {
		const Dav1dWarpedMotionParams *g = &h->gmv[i];

		SAME(g->type, f->global_motion.type[i + 1], "global motion type");
		for (k = 0; k < 6 && g->type != DAV1D_WM_TYPE_IDENTITY; k++)
			SAME(g->matrix[k], f->global_motion.params[i + 1][k],
			     "global motion parameter");
	}
	return NULL;
}

static const char *check_grain(const Dav1dFrameHeader *h,
			       const struct v4l2_ctrl_av1_film_grain *fg)
{
	const Dav1dFilmGrainData *d = &h->film_grain.data;
	int i;

	SAME(h->film_grain.present, !!(fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN),
	     "apply_grain");
	if (!h->film_grain.present)
		return NULL;
	SAME(d->seed, fg->grain_seed, "grain_seed");
	SAME(d->num_y_points, fg->num_y_points, "num_y_points");
	for (i = 0; i < d->num_y_points; i++)
		SAME(d->y_points[i][1], fg->point_y_scaling[i], "point_y_scaling");
	SAME(d->scaling_shift, fg->grain_scaling_minus_8 + 8, "grain_scaling_minus_8");
	SAME(d->ar_coeff_lag, fg->ar_coeff_lag, "ar_coeff_lag");
	SAME(d->ar_coeff_shift, fg->ar_coeff_shift_minus_6 + 6, "ar_coeff_shift_minus_6");
	SAME(d->overlap_flag, !!(fg->flags & V4L2_AV1_FILM_GRAIN_FLAG_OVERLAP), "overlap_flag");
	return NULL;
}

const char *dd_av1_header_mismatch(const Dav1dFrameHeader *h,
				   const struct daedalus_av1_params *p)
{
	const struct v4l2_ctrl_av1_frame *f = &p->frame;
	int intra = f->frame_type == V4L2_AV1_KEY_FRAME ||
		    f->frame_type == V4L2_AV1_INTRA_ONLY_FRAME;
	int coded_lossless = 1;
	const char *why;
	int i;

	SAME(h->frame_type, f->frame_type, "frame_type");
	SAME(h->width[0], f->frame_width_minus_1 + 1, "frame width");
	SAME(h->height, f->frame_height_minus_1 + 1, "frame height");
	SAME(h->show_frame, !!(f->flags & V4L2_AV1_FRAME_FLAG_SHOW_FRAME), "show_frame");
	SAME(h->frame_offset, f->order_hint, "order_hint");
	SAME(h->disable_cdf_update, !!(f->flags & V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE),
	     "disable_cdf_update");
	SAME(h->allow_screen_content_tools,
	     !!(f->flags & V4L2_AV1_FRAME_FLAG_ALLOW_SCREEN_CONTENT_TOOLS),
	     "allow_screen_content_tools");
	SAME(h->super_res.enabled, !!(f->flags & V4L2_AV1_FRAME_FLAG_USE_SUPERRES), "use_superres");
	if (h->super_res.enabled)
		SAME(h->width[1], f->upscaled_width, "upscaled width");
	/* disable_cdf_update implies disable_frame_end_update_cdf. */
	SAME(h->refresh_context, !(f->flags & (V4L2_AV1_FRAME_FLAG_DISABLE_FRAME_END_UPDATE_CDF |
					       V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE)),
	     "disable_frame_end_update_cdf");
	SAME(h->txfm_mode, f->tx_mode, "tx_mode");
	SAME(h->reduced_txtp_set, !!(f->flags & V4L2_AV1_FRAME_FLAG_REDUCED_TX_SET),
	     "reduced_tx_set");
	why = check_tiles(h, &p->sequence, &f->tile_info);
	if (!why)
		why = check_quant_seg(h, f);
	for (i = 0; i < DAV1D_MAX_SEGMENTS; i++)
		coded_lossless &= h->segmentation.lossless[i];
	if (!why)
		why = check_filters(h, &p->sequence, f, coded_lossless);
	if (!why && !intra)
		why = check_motion(h, f);
	if (!why)
		why = check_grain(h, &p->film_grain);
	return why;
}

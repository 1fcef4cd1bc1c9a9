"""Alignment panels of SDAN during validation and test, through MMEngine's visualizer."""
from typing import Optional, Sequence

from mmengine.hooks import Hook

from mmagic.registry import HOOKS
from mmzoom.visualization import PANEL_COLUMNS, alignment_panel, centre_window


@HOOKS.register_module()
class AlignmentVisHook(Hook):
    """Write, for the first samples of each validation and test run, SDAN's alignment as one
    panel (:func:`mmzoom.visualization.alignment_panel`): Y' (``ref_img``, the reference
    training aligns to; black when the sample has none), X', the offsets as
    flow colours, M', M and the zoom, on the input grid (SDAN Sec. 3.1-3.3; the public code logs
    these images during training).

    The panels go to ``runner.visualizer.add_image``, i.e. to every configured backend:
    ``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/vis_image/
    <mode>_alignment_<n>_<step>.png``, ``TensorboardVisBackend`` an image summary. A model
    without SDAN's predictions (``pred_offset``) is left alone.

    Args:
        max_samples (int): panels per validation/test run. Default: 2.
        max_side (int): a larger input is shown by its central ``max_side`` input pixels per
            side (a full-size test pair stays a 6 x 512 px panel). Default: 512.
        on_test (bool): also during ``tools/test.py``. Default: True.
    """

    priority = 'LOW'

    def __init__(self, max_samples: int = 2, max_side: int = 512, on_test: bool = True) -> None:
        if max_samples < 1 or max_side < 2:
            raise ValueError(f'AlignmentVisHook needs max_samples >= 1 and max_side >= 2, got '
                             f'{max_samples}, {max_side}')
        self.max_samples = max_samples
        self.max_side = max_side
        self.on_test = on_test
        self._written = 0

    def before_val_epoch(self, runner) -> None:
        self._written = 0

    def before_test_epoch(self, runner) -> None:
        self._written = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        self._write(runner, outputs, 'val')

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if self.on_test:
            self._write(runner, outputs, 'test')

    def _write(self, runner, outputs: Optional[Sequence], mode: str) -> None:
        for sample in outputs or []:
            if self._written >= self.max_samples:
                return
            pred = sample.get('output', None)
            if pred is None or 'pred_offset' not in pred:
                return
            aligned = pred.pred_aligned_lr
            rows, cols = centre_window(tuple(aligned.shape[-2:]), self.max_side)
            scale = pred.pred_img.shape[-1] // aligned.shape[-1]
            hr_rows = slice(rows.start * scale, rows.stop * scale)
            hr_cols = slice(cols.start * scale, cols.stop * scale)
            ref = sample.get('ref_img', None)
            if ref is None or ref.shape[-2:] != aligned.shape[-2:]:
                ref = aligned.new_zeros(aligned.shape)
            zoom = pred.pred_img
            if sample.metainfo.get('pred_channel_order') == 'BGR':
                zoom = zoom.flip(0)
            image = alignment_panel(ref[:, rows, cols] / 255.0, aligned[:, rows, cols] / 255.0,
                                    pred.pred_offset[:, rows, cols],
                                    pred.pred_mask_lr[:, rows, cols],
                                    pred.pred_mask_hr[:, hr_rows, hr_cols],
                                    zoom[:, hr_rows, hr_cols] / 255.0)
            self._written += 1
            runner.visualizer.add_image(f'{mode}_alignment_{self._written}', image,
                                        step=runner.iter)
            if self._written == 1:
                runner.logger.info(f'AlignmentVisHook: {mode} panels ({" | ".join(PANEL_COLUMNS)})'
                                   ' written by the visualizer backends')

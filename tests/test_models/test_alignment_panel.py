"""SDAN's alignment panel: columns, flow colours and masks, the centre window of large inputs."""
import numpy as np
import pytest
import torch

from mmzoom.visualization import PANEL_COLUMNS, alignment_panel, centre_window


def test_panel_columns_hold_the_maps_they_name():
    h, w, s = 8, 12, 4
    ref, aligned = torch.full((3, h, w), 0.25), torch.full((3, h, w), 0.75)
    offset = torch.zeros(2, h, w)
    offset[1, :, w // 2:] = 3.0  # the right half moves along +x
    mask_lr = torch.ones(1, h, w)
    mask_lr[..., :2] = 0
    mask_hr = torch.ones(1, s * h, s * w)
    mask_hr[..., :2] = 0  # half of the first input column
    zoom = torch.rand(3, s * h, s * w)
    panel = alignment_panel(ref, aligned, offset, mask_lr, mask_hr, zoom)
    assert panel.shape == (h, len(PANEL_COLUMNS) * w, 3) and panel.dtype == np.uint8
    cols = np.split(panel, len(PANEL_COLUMNS), axis=1)
    assert (cols[0] == 64).all() and (cols[1] == 191).all()
    flow = cols[2].astype(int)
    assert (flow[:, :w // 2] == 255).all()  # no offset: white
    assert (np.abs(flow[:, w // 2:] - 255).max(-1) > 20).all()  # moving pixels are coloured
    assert (cols[3][:, :2] == 0).all() and (cols[3][:, 2:] == 255).all()
    assert np.allclose(cols[4][:, 0], 128, atol=1) and (cols[4][:, 1:] == 255).all()
    pooled = torch.nn.functional.avg_pool2d(zoom[None], s)[0].permute(1, 2, 0).numpy() * 255
    assert np.abs(cols[5].astype(float) - pooled).max() <= 0.5 + 1e-3


def test_centre_window_keeps_the_mosaic_phase():
    assert centre_window((100, 200), 512) == (slice(0, 100), slice(0, 200))
    rows, cols = centre_window((5304, 7952), 512)
    assert (rows.stop - rows.start, cols.stop - cols.start) == (512, 512)
    assert rows.start % 2 == 0 and cols.start % 2 == 0
    assert abs(rows.start + 256 - 2652) <= 2 and abs(cols.start + 256 - 3976) <= 2
    assert centre_window((10, 10), 0) == (slice(0, 10), slice(0, 10))


def test_hook_writes_capped_panels_through_the_visualizer(tmp_path):
    import glob
    import types

    import cv2
    from mmengine.logging import MMLogger
    from mmengine.visualization import Visualizer

    from mmagic.structures import DataSample
    from mmzoom.engine import AlignmentVisHook

    def sample(h, w, with_ref):
        pred = DataSample(pred_img=torch.full((3, 4 * h, 4 * w), 200.),
                          pred_aligned_lr=torch.full((3, h, w), 100.),
                          pred_offset=torch.zeros(2, h, w), pred_mask_lr=torch.ones(1, h, w),
                          pred_mask_hr=torch.ones(1, 4 * h, 4 * w))
        s = DataSample(output=pred)
        if with_ref:
            s.ref_img = torch.full((3, h, w), 50.)
        return s

    visualizer = Visualizer(name='alignment_hook_check', save_dir=str(tmp_path),
                            vis_backends=[dict(type='LocalVisBackend')])
    runner = types.SimpleNamespace(visualizer=visualizer, iter=7,
                                   logger=MMLogger.get_instance('alignment_hook_check'))
    hook = AlignmentVisHook(max_samples=2, max_side=64)
    hook.before_val_epoch(runner)
    hook.after_val_iter(runner, 0, outputs=[sample(40, 48, True), sample(100, 90, False)])
    hook.after_val_iter(runner, 1, outputs=[sample(40, 48, True)])  # over max_samples
    saved = sorted(glob.glob(str(tmp_path / '**' / 'val_alignment_*_7.png'), recursive=True))
    assert [p.rsplit('/', 1)[-1] for p in saved] == ['val_alignment_1_7.png',
                                                    'val_alignment_2_7.png']
    first, second = (cv2.imread(p) for p in saved)
    assert first.shape == (40, 6 * 48, 3) and (first[:, :48] == 50).all()  # Y' column
    assert second.shape == (64, 6 * 64, 3)  # the central 64 px of a larger input
    assert (second[:, :64] == 0).all() and (second[:, 64:128] == 100).all()  # no Y': black
    with pytest.raises(ValueError, match='max_samples'):
        AlignmentVisHook(max_samples=0)

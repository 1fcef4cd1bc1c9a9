"""SDAN's alignment panel: columns, flow colours and masks, the centre window of large inputs."""
import numpy as np
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

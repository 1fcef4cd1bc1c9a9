"""SDAN's rendered self reference against LibRaw's own render of the same DNG (real rawpy)."""
import numpy as np
import pytest
import torch

from mmzoom.models.layers.camera_render import CameraRender, srgb_encode
from mmzoom.raw import cfa_offset, read_raw, write_dng
from mmzoom.raw.white_balance import wb_channel_factors

# A camera whose RGB is not sRGB: XYZ(D65) -> camera, as a DNG ColorMatrix1 holds it.
CAMERA_XYZ = np.array([[0.80, 0.15, -0.05], [-0.30, 1.25, 0.10], [0.05, -0.20, 0.85]])


@pytest.fixture(scope='module')
def dng(tmp_path_factory):
    rng = np.random.default_rng(0)
    h, w = 64, 96
    smooth = np.kron(rng.random((h // 8, w // 8)), np.ones((8, 8)))
    import cv2
    smooth = cv2.GaussianBlur(smooth, (0, 0), 3)
    counts = 600 + smooth * 0.6 * (16383 - 600) * (1 + 0.3 * rng.random((h, w)))
    path = str(tmp_path_factory.mktemp('render') / 'shot.dng')
    write_dng(path, np.clip(counts, 0, 16383).astype(np.uint16), 'GBRG', 600, 16383,
              as_shot_neutral=(0.55, 1.0, 0.7), color_matrix=CAMERA_XYZ)
    return path


def test_render_matches_libraws_postprocess(dng):
    import rawpy
    raw = read_raw(dng)
    assert not np.allclose(raw.rgb_cam, np.eye(3), atol=0.05)  # the matrix really is used
    assert min(raw.camera_wb) == 1 and max(raw.camera_wb) > 1.3
    with rawpy.imread(dng) as r:
        libraw = r.postprocess(use_camera_wb=True,
                               demosaic_algorithm=rawpy.DemosaicAlgorithm.LINEAR,
                               gamma=(2.4, 12.92), no_auto_bright=True, output_bps=16,
                               user_flip=0, adjust_maximum_thr=0.0).astype(np.float64) / 65535
    dy, dx = cfa_offset(raw.pattern, 'RGGB')
    h, w = (raw.mosaic.shape[0] - dy) // 2 * 2, (raw.mosaic.shape[1] - dx) // 2 * 2
    mosaic = torch.from_numpy(np.ascontiguousarray(raw.mosaic[dy:dy + h, dx:dx + w]))[None, None]
    ones = torch.ones(1, 3)
    ours = CameraRender()(mosaic, torch.tensor([raw.rgb_cam]), torch.tensor([raw.camera_wb]),
                          ones)[0].permute(1, 2, 0).double().numpy()
    err = np.abs(ours - libraw[dy:dy + h, dx:dx + w])[2:-2, 2:-2]
    assert err.max() < 1e-3, err.max()  # saturated sites included (the fixture clips)
    # Without the matrix the render is measurably further from LibRaw's.
    plain = CameraRender()(mosaic, torch.eye(3)[None], torch.tensor([raw.camera_wb]), ones)
    plain_err = np.abs(plain[0].permute(1, 2, 0).double().numpy() - libraw[dy:dy + h, dx:dx + w])
    assert plain_err[2:-2, 2:-2].mean() > 10 * err.mean()


def test_white_balance_is_removed_like_the_target_s():
    mosaic = torch.full((1, 1, 4, 4), 0.2)
    gains = (2.0, 1.0, 1.0, 1.5)
    factors = torch.from_numpy(wb_channel_factors(gains).astype(np.float32))[None]
    out = CameraRender()(mosaic, torch.eye(3)[None], torch.ones(1, 3), factors)
    expected = srgb_encode(torch.tensor(0.2)) / factors[0]
    assert torch.allclose(out[0, :, 1, 1], expected, atol=1e-6)


def test_saturated_sites_stay_white_and_tiles_equal_the_frame():
    torch.manual_seed(0)
    mosaic = torch.rand(2, 1, 16, 24) * 1.2 - 0.05  # noise below 0, clipped highlights above 1
    cam = torch.tensor([[1.6, -0.4, -0.2], [-0.2, 1.4, -0.2], [0.0, -0.5, 1.5]]).expand(2, 3, 3)
    wb, factors = torch.tensor([[2.0, 1.0, 1.5], [1.2, 1.0, 2.2]]), torch.ones(2, 3)
    render = CameraRender()
    full = render(mosaic, cam, wb, factors)
    assert full.min() >= 0 and full.max() <= 1
    white = render(torch.full((1, 1, 4, 4), 1.5), torch.eye(3)[None], wb[:1], factors[:1])
    assert torch.allclose(white, torch.ones_like(white))
    # Local: a region rendered with a 2 px margin equals the frame's render there.
    part = render(mosaic[..., 2:12, 4:18], cam, wb, factors)
    assert torch.allclose(part[..., 2:-2, 2:-2], full[..., 4:10, 6:16], atol=1e-6)

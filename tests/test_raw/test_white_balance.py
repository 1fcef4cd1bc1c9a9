"""White-balance gains from real LibRaw renders of DNGs with a known as-shot white balance."""
import numpy as np
import pytest

from mmzoom.raw.bayer import BAYER_PATTERNS
from mmzoom.raw.rawfile import RawReadError, write_dng
from mmzoom.raw.synthetic import mosaic_from_rgb
from mmzoom.raw.white_balance import compute_wb_gains


def scene(h=64, w=96, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.05, 0.9, (h // 8, w // 8, 3))
    return np.kron(base, np.ones((8, 8, 1)))  # flat patches: colours vary, no edges


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
def test_gains_match_as_shot_white_balance(tmp_path, pattern):
    gains = np.array([2.1, 1.0, 1.55])
    black, white = 512, 16383
    camera = mosaic_from_rgb(scene() / gains, pattern)
    digital = np.round(black + camera * (white - black)).astype(np.uint16)
    path = tmp_path / 'wb.dng'
    write_dng(path, digital, pattern, black, white, as_shot_neutral=1 / gains)
    g = compute_wb_gains(path)
    np.testing.assert_allclose(g, [2.1, 1.0, 1.0, 1.55], rtol=1e-3)


def test_saturated_pixels_do_not_bias_gains(tmp_path):
    gains = np.array([2.0, 1.0, 1.6])
    rgb = scene(seed=1) / gains
    rgb[:16] = 1.0  # a blown-out sky: clipped in every render
    digital = np.round(mosaic_from_rgb(rgb, 'RGGB') * 4095).astype(np.uint16)
    path = tmp_path / 'sat.dng'
    write_dng(path, digital, 'RGGB', 0, 4095, as_shot_neutral=1 / gains)
    np.testing.assert_allclose(compute_wb_gains(path), [2.0, 1.0, 1.0, 1.6], rtol=2e-3)


def test_corrupt_raw_names_the_file(tmp_path):
    path = tmp_path / '00003.ARW'
    path.write_bytes(b'\0' * 1000)
    with pytest.raises(RawReadError, match='00003.ARW'):
        compute_wb_gains(path)

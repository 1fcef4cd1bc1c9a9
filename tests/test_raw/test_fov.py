"""Field-of-view crop: the exact SR-RAW index formula."""
import math

import numpy as np
import pytest

from mmzoom.raw.fov import crop_fov, fov_crop_box, fov_ratio


@pytest.mark.parametrize('h, w, r, box', [
    (100, 150, 0.5, (25, 75, 38, 112)),  # cols: ceil(37.5) = 38, floor(112.5) = 112
    (10, 10, 0.3, (4, 6, 4, 6)),  # ceil(3.5) = 4, floor(6.5) = 6
    (7952, 5304, 0.25, (2982, 4970, 1989, 3315)),
    (8, 8, 1.0, (0, 8, 0, 8)),
])
def test_fov_crop_box_exact(h, w, r, box):
    assert fov_crop_box(h, w, r) == box


@pytest.mark.parametrize('h, w', [(37, 51), (100, 150), (5304, 7952), (64, 64)])
@pytest.mark.parametrize('r', [0.1, 0.125, 0.25, 0.3, 0.4, 0.5, 0.8])
def test_fov_crop_box_formula(h, w, r):
    def span(n):
        # The formula written out with exact rationals (no float noise at half integers).
        from fractions import Fraction
        fr = Fraction(r).limit_denominator(1000)
        return math.ceil((n - n * fr) / 2), math.floor((n + n * fr) / 2)
    assert fov_crop_box(h, w, r) == span(h) + span(w)


def test_crop_fov_returns_the_box():
    img = np.arange(100 * 150 * 3).reshape(100, 150, 3)
    out = crop_fov(img, 0.5)
    np.testing.assert_array_equal(out, img[25:75, 38:112])
    assert np.shares_memory(out, img)  # a view: callers copy if they need to


def test_crop_fov_rejects_bad_ratio():
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        crop_fov(np.zeros((10, 10)), 1.5)
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        crop_fov(np.zeros((10, 10)), 0)
    with pytest.raises(ValueError, match='leaves nothing'):
        crop_fov(np.zeros((10, 10)), 0.05)


def test_fov_ratio():
    assert fov_ratio(60, 240) == 0.25
    assert fov_ratio(240, 240) == 1.0
    with pytest.raises(ValueError, match='longer one'):
        fov_ratio(240, 60)
    with pytest.raises(ValueError, match='positive'):
        fov_ratio(0, 60)

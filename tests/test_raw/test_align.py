"""ECC alignment: recovery of a known sub-pixel affine at reduced scale, warp rescaling, common
region."""
import cv2
import numpy as np
import pytest
from skimage import data

from mmzoom.raw.align import (AlignmentError, common_region, ecc_affine, rescale_affine,
                              warp_to_reference)


def corners(h, w):
    return np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T


def max_point_error(a, b, h, w):
    return np.abs(np.asarray(a) @ corners(h, w) - np.asarray(b) @ corners(h, w)).max()


@pytest.fixture(scope='module')
def photo_gray():
    img = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    return cv2.resize(img, (768, 768), interpolation=cv2.INTER_CUBIC)[128:640]  # 512 x 768


def test_rescale_affine_matches_resize_geometry():
    rng = np.random.default_rng(0)
    warp = np.eye(2, 3) + rng.normal(0, [[1e-2, 1e-2, 2], [1e-2, 1e-2, 2]])
    small, full = (100, 150), (400, 600)
    full_warp = rescale_affine(warp, small, full)
    # cv2.resize pixel centres: x_small = (x_full + 0.5) * 150 / 600 - 0.5.
    x = np.vstack([rng.uniform(0, 600, 20), rng.uniform(0, 400, 20), np.ones(20)])
    to_small = np.array([[0.25, 0, -0.375], [0, 0.25, -0.375], [0, 0, 1]])
    via_small = np.linalg.inv(to_small) @ np.vstack([warp @ (to_small @ x), np.ones(20)])
    np.testing.assert_allclose(full_warp @ x, via_small[:2], atol=1e-9)
    np.testing.assert_allclose(rescale_affine(full_warp, full, small), warp, atol=1e-12)
    # A pure translation only scales; the identity stays the identity.
    shift = np.array([[1, 0, 1.5], [0, 1, -2.0]])
    np.testing.assert_allclose(rescale_affine(shift, small, full), [[1, 0, 6], [0, 1, -8]])
    np.testing.assert_allclose(rescale_affine(np.eye(2, 3), small, full), np.eye(2, 3))


def test_ecc_recovers_subpixel_affine_at_quarter_scale(photo_gray):
    h, w = photo_gray.shape
    angle = np.deg2rad(0.3)
    true = np.array([[1.002 * np.cos(angle), -np.sin(angle), 3.3],
                     [np.sin(angle), 1.002 * np.cos(angle), -2.7]])
    # image(true @ x) = template(x), the convention of findTransformECC(template, image).
    image = cv2.warpAffine(photo_gray, cv2.invertAffineTransform(true), (w, h),
                           flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REFLECT)
    small = (h // 4, w // 4)

    def down(img):
        return cv2.resize(img, small[::-1], interpolation=cv2.INTER_AREA).astype(np.float32) / 255

    warp, cc = ecc_affine(down(photo_gray), down(image))
    estimate = rescale_affine(warp, small, (h, w))
    error = max_point_error(estimate, true, h, w)
    print(f'ECC at 1/4 scale: max corner error {error:.4f} px at full resolution')
    assert error < 0.5, f'ECC at 1/4 scale is off by {error:.3f} px at full resolution'
    assert cc > 0.95
    # Warping back with the estimate reproduces the template away from the borders.
    back = warp_to_reference(image.astype(np.float32), estimate)
    assert np.abs(back - photo_gray)[16:-16, 16:-16].mean() < 3


def test_ecc_rejects_bad_input():
    with pytest.raises(ValueError, match='same size'):
        ecc_affine(np.zeros((10, 10), np.float32), np.zeros((10, 12), np.float32))
    with pytest.raises(AlignmentError, match='ECC failed'):
        ecc_affine(np.zeros((32, 32), np.float32), np.zeros((32, 32), np.float32))


def test_common_region():
    h, w = 100, 200
    assert common_region({1: np.eye(2, 3)}, (h, w)) == (0, h, 0, w)
    # Image 2 shows reference pixel x at x + 5.5, y - 3: it covers reference x in [-5.5, w - 5.5].
    shifted = np.array([[1, 0, 5.5], [0, 1, -3.0]])
    assert common_region({1: np.eye(2, 3), 2: shifted}, (h, w)) == (3, h, 0, w - 6)
    with pytest.raises(AlignmentError, match='no common region'):
        common_region({2: np.array([[1, 0, 500.0], [0, 1, 0]])}, (h, w))

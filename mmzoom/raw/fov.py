"""Field-of-view (FOV) cropping between the shots of an SR-RAW zoom sequence.

A shot at the longer focal length ``f_ref`` sees the central fraction ``f / f_ref`` (<= 1) of a
shot at ``f``. Cropping that fraction of the wider shot brings it to the field of view of the
reference shot (00001, the longest focal length of the sequence).
"""
import math
from typing import Tuple

import numpy as np

# Float products such as 100 * 0.35 land a hair away from integers; rounding to this many decimals
# first keeps ceil/floor on the integer the formula means.
_DECIMALS = 9


def fov_ratio(focal_length: float, reference_focal_length: float) -> float:
    """Fraction of the field of view of a shot at ``focal_length`` that a shot at
    ``reference_focal_length`` (the longer one) covers: ``focal_length / reference_focal_length``.

    In SR-RAW terms, with ``f1`` the focal length of 00001: ``crop_fov(img_k, fov_ratio(f_k, f1))``
    cuts shot k to the field of view of 00001.
    """
    if focal_length <= 0 or reference_focal_length <= 0:
        raise ValueError(f'focal lengths must be positive, got {focal_length} and '
                         f'{reference_focal_length}')
    ratio = focal_length / reference_focal_length
    if ratio > 1 + 1e-9:
        raise ValueError(f'the reference focal length ({reference_focal_length} mm) must be the '
                         f'longer one, got {focal_length} mm; SR-RAW numbers shots from the '
                         'longest focal length (00001) down')
    return min(ratio, 1.0)


def fov_crop_box(height: int, width: int, ratio: float) -> Tuple[int, int, int, int]:
    """Index box ``(top, bottom, left, right)`` of :func:`crop_fov`.

    Rows ``[ceil((h - h r) / 2), floor((h + h r) / 2))`` and the same for columns, the formula of
    the SR-RAW code.
    """
    if not 0 < ratio <= 1:
        raise ValueError(f'FOV crop ratio must be in (0, 1], got {ratio}')

    def span(n: int) -> Tuple[int, int]:
        lo = math.ceil(round((n - n * ratio) / 2, _DECIMALS))
        hi = math.floor(round((n + n * ratio) / 2, _DECIMALS))
        return lo, hi

    top, bottom = span(height)
    left, right = span(width)
    if bottom <= top or right <= left:
        raise ValueError(f'FOV crop ratio {ratio} leaves nothing of a {height}x{width} image')
    return top, bottom, left, right


def crop_fov(img: np.ndarray, ratio: float) -> np.ndarray:
    """Central crop keeping the fraction ``ratio`` of the field of view (a view, not a copy).

    Args:
        img: (H, W, ...) array (an image, a mosaic or a packed mosaic).
        ratio: fraction in (0, 1], e.g. :func:`fov_ratio`.

    Returns:
        ``img[top:bottom, left:right]`` with the box of :func:`fov_crop_box`.
    """
    top, bottom, left, right = fov_crop_box(img.shape[0], img.shape[1], ratio)
    return img[top:bottom, left:right]

"""Pixel geometry of SR-RAW frames, in one place: cv2's pixel-centre convention for resizes, the
map from a shot's ``tform.txt`` frame to its JPG, and the axis-aligned box inside a warped
quadrilateral.

Convention: pixel ``i`` has its centre at coordinate ``i`` and its edges at ``i - 0.5`` and
``i + 0.5`` (OpenCV's ``warpAffine``/``resize``). All maps are 3x3 homogeneous matrices acting on
column vectors ``(x, y, 1)``.
"""
from typing import Tuple

import numpy as np

from .fov import fov_crop_box


def translate(tx: float, ty: float) -> np.ndarray:
    """3x3 map ``(x, y) -> (x + tx, y + ty)``."""
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def resize_map(src_shape: Tuple[int, int], dst_shape: Tuple[int, int]) -> np.ndarray:
    """3x3 map from pixel (x, y) of ``src`` resized to ``dst_shape`` back to ``src`` pixels,
    with ``cv2.resize``'s pixel-centre convention ``x_src = (x_dst + 0.5) * W_src / W_dst - 0.5``.
    Not just a scaling: the half-pixel terms matter at sub-pixel accuracy.
    """
    (sh, sw), (dh, dw) = src_shape, dst_shape
    sx, sy = sw / dw, sh / dh
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


def as3x3(warp) -> np.ndarray:
    """A 2x3 affine warp (or a 3x3 one) as a 3x3 float64 matrix."""
    warp = np.asarray(warp, dtype=np.float64)
    if warp.shape == (2, 3):
        warp = np.vstack([warp, [0.0, 0.0, 1.0]])
    if warp.shape != (3, 3):
        raise ValueError(f'expected a 2x3 affine warp, got shape {warp.shape}')
    return warp


def fov_frame_to_jpg(jpg_shape: Tuple[int, int], ratio: float,
                     reference_shape: Tuple[int, int]) -> Tuple[np.ndarray, Tuple[int, ...]]:
    """Map from the ``tform.txt`` frame of a shot to its JPG pixels.

    The frame of shot k in ``tform.txt`` is its JPG cut to the field of view of 00001
    (:func:`mmzoom.raw.fov_crop_box` with ``ratio = f_k / f_1``) and resized to the size of the
    00001 JPG (:mod:`mmzoom.raw.metafiles`).

    Returns:
        ``(map, box)``: 3x3 map (frame pixel -> JPG pixel) and the FOV box
        ``(top, bottom, left, right)`` in JPG pixels.
    """
    top, bottom, left, right = fov_crop_box(jpg_shape[0], jpg_shape[1], ratio)
    return (translate(left, top) @ resize_map((bottom - top, right - left), reference_shape),
            (top, bottom, left, right))


def quad_corners(x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
    """Homogeneous corners TL, TR, BL, BR (columns) of the rectangle [x0, x1] x [y0, y1]."""
    return np.array([[x0, x1, x0, x1], [y0, y0, y1, y1], [1.0, 1.0, 1.0, 1.0]])


def box_edges(top: float, bottom: float, left: float, right: float) -> np.ndarray:
    """:func:`quad_corners` of the pixel edges of the index box [top, bottom) x [left, right)."""
    return quad_corners(left - 0.5, right - 0.5, top - 0.5, bottom - 0.5)


def inner_box(corners: np.ndarray) -> Tuple[float, float, float, float]:
    """Axis-aligned box ``(y_min, y_max, x_min, x_max)`` inside the quadrilateral TL, TR, BL, BR
    (columns of ``corners``, as :func:`quad_corners` orders them): the rule of SR-RAW's
    ``get_transformed_corner``, exact for the small rotations ECC finds."""
    x, y = corners[0], corners[1]
    return (max(y[0], y[1]), min(y[2], y[3]), max(x[0], x[2]), min(x[1], x[3]))

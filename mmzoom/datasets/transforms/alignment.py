"""Field-of-view crop and alignment of an SR-RAW LR/HR pair (SR-RAW data preparation).

What the SR-RAW / SDAN code does per pair (REFERENCE.md, "SR-RAW"): cut the LR shot to the field
of view of the reference shot 00001 (ratio f_LR / f_1) and the HR shot likewise
(f_HR / f_1), map both into the 00001 frame with their ``tform.txt`` warps, keep the region both
cover and resize the target to exactly ``s`` times the LR size. The RAW is never resampled, only
cropped ("we don't want to transform or sample the raw sensor").

mmzoom composes the same chain of maps into one affine map from each target pixel to the HR JPG
and resamples the HR JPG once (the public code resizes and warps it three times), with pixel
centres handled like ``cv2.resize`` (:mod:`mmzoom.raw.geometry`). A ``tform.txt`` warp ``A_k``
maps a 00001-frame pixel to shot k's frame, so an LR-frame pixel goes to the HR frame by
``A_HR @ inv(A_LR)`` (first back to 00001, then out to the HR shot); tests with rotated and
scaled warps tell this order from its reverse. The LR crop starts at an even offset of the mosaic
and has even sides, so the CFA phase set by :class:`LoadRawFromFile` is kept.
"""
import math
from typing import Dict, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmagic.registry import TRANSFORMS
from mmzoom.raw import fov_ratio
from mmzoom.raw.geometry import (as3x3, box_edges, fov_frame_to_jpg, inner_box, resize_map,
                                 translate)

__all__ = ['SRRawFovAlign', 'fov_frame_to_jpg', 'warp_region']

_INTERPOLATIONS = ('bilinear', 'bicubic')
# When the HR JPG has more than this many pixels per target pixel, it is first reduced with an
# area filter: a bilinear/bicubic warp alone would alias.
_ANTIALIAS_ZOOM = 1.25
# Extra source pixels kept around the needed region for the interpolation kernel.
_KERNEL_MARGIN = 3
# Coordinates within this distance of a pixel edge count as inside (float round-off).
_EPS = 1e-6


def _even_span(lo: float, hi: float, origin: int, size: int) -> Tuple[int, int]:
    """Array indices ``[start, start + n)`` of the pixels whose extent lies in [lo, hi] (frame
    coordinates), clipped to the array, with ``start`` and ``n`` even (CFA-safe)."""
    start = max(math.ceil(lo + 0.5 - origin - _EPS), 0)
    last = min(math.floor(hi - 0.5 - origin + _EPS), size - 1)
    start += start % 2
    n = max((last - start + 1) // 2 * 2, 0)
    return start, n


def warp_region(src: np.ndarray, warp: np.ndarray, out_shape: Tuple[int, int],
                interpolation: str = 'bicubic', antialias: bool = True) -> np.ndarray:
    """Resample ``src`` onto an ``out_shape`` grid: ``out(p) = src(warp @ p)``.

    Only the source region the output needs is converted to float32; when the output is coarser
    than the source by more than 1.25x the region is first reduced with an area filter.

    Args:
        src: (H, W, C) image (uint8 or float).
        warp: 3x3 map from output pixels to ``src`` pixels.
        out_shape: (height, width) of the output.
        interpolation: ``'bilinear'`` or ``'bicubic'``.
        antialias: area-reduce the source before a downscaling warp.

    Returns:
        (height, width, C) float32 (borders replicated).
    """
    import cv2

    h, w = out_shape
    corners = warp @ np.array([[-0.5, w - 0.5, -0.5, w - 0.5], [-0.5, -0.5, h - 0.5, h - 0.5],
                               [1.0, 1.0, 1.0, 1.0]])
    x0 = min(max(math.floor(corners[0].min()) - _KERNEL_MARGIN, 0), src.shape[1] - 1)
    y0 = min(max(math.floor(corners[1].min()) - _KERNEL_MARGIN, 0), src.shape[0] - 1)
    x1 = max(min(math.ceil(corners[0].max()) + _KERNEL_MARGIN + 1, src.shape[1]), x0 + 1)
    y1 = max(min(math.ceil(corners[1].max()) + _KERNEL_MARGIN + 1, src.shape[0]), y0 + 1)
    region = np.ascontiguousarray(src[y0:y1, x0:x1], dtype=np.float32)
    warp = translate(-x0, -y0) @ warp
    zoom = math.sqrt(abs(np.linalg.det(warp[:2, :2])))  # source pixels per output pixel
    if antialias and zoom > _ANTIALIAS_ZOOM:
        small = (max(1, round(region.shape[0] / zoom)), max(1, round(region.shape[1] / zoom)))
        warp = np.linalg.inv(resize_map(region.shape[:2], small)) @ warp
        region = cv2.resize(region, (small[1], small[0]), interpolation=cv2.INTER_AREA)
        if region.ndim == 2:
            region = region[..., None]
    flag = cv2.INTER_CUBIC if interpolation == 'bicubic' else cv2.INTER_LINEAR
    out = cv2.warpAffine(region, warp[:2], (w, h), flags=flag | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(h, w, -1)


@TRANSFORMS.register_module()
class SRRawFovAlign(BaseTransform):
    """Crop the LR input to the region shared with the aligned HR shot; warp the HR JPG onto
    exactly ``scale`` x that grid (SR-RAW pair preparation used by SDAN).

    The LR array (RAW mosaic or, in RGB mode, the LR camera JPG) is cropped to the part of the
    00001 field of view that the HR shot covers after alignment; the crop starts at even offsets
    and has even sides (CFA phase kept). The HR JPG is resampled once through the composed
    map target pixel -> LR frame -> ``tform.txt`` frame of the LR shot -> 00001 frame
    (``inv(A_LR)``) -> frame of the HR shot (``A_HR``) -> HR JPG pixel. Residual misalignment
    of the ECC warps stays, as in SR-RAW (SDAN's alignment module is there to absorb it).

    Required keys: ``img`` (H, W, C) with ``img_origin`` / ``img_frame_shape``
    (:class:`LoadRawFromFile` or :class:`LoadSRRawJpg`), ``gt`` (the HR JPG, :class:`LoadSRRawJpg`),
    and from :class:`~mmzoom.datasets.SRRawDataset`: ``scale``, ``focal_lengths``
    (``reference``/``hr``/``lr`` mm), ``frame_shapes`` (JPG (H, W) of the same shots), ``tforms``
    (``hr``/``lr`` 2x3 warps).
    Modified keys: ``img`` (h, w, C) float32, h and w even; ``gt`` (scale*h, scale*w, 3) float32,
    0..255 (clipped after a bicubic warp); ``img_origin``.
    Added keys: ``gt_warp`` (2x3 map from ``gt`` pixels to HR JPG pixels).

    Args:
        interpolation (str): ``'bicubic'`` (default) or ``'bilinear'`` for the HR warp.
        antialias (bool): area-reduce the HR JPG first when the target is coarser than it by
            more than 1.25x. Default: True.
        clip (bool): clip the target to 0..255 (bicubic overshoots). Default: True.
    """

    def __init__(self, interpolation: str = 'bicubic', antialias: bool = True,
                 clip: bool = True) -> None:
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of {_INTERPOLATIONS}, got '
                             f'{interpolation!r}')
        self.interpolation = interpolation
        self.antialias = antialias
        self.clip = clip

    @staticmethod
    def _pair_maps(results: dict) -> Tuple[np.ndarray, Sequence[float], Sequence[float]]:
        """Map LR-frame pixel -> HR JPG pixel, and the valid boxes (in LR-frame coordinates)
        of the LR and HR fields of view."""
        focal: Dict[str, float] = results['focal_lengths']
        shapes: Dict[str, Sequence[int]] = results['frame_shapes']
        ref_shape = tuple(shapes['reference'])
        lr_jpg, hr_jpg = tuple(shapes['lr']), tuple(shapes['hr'])
        frame = tuple(results['img_frame_shape'])
        # The RAW mosaic and the JPG of one shot show the same view; map by their sizes
        # (identical for SR-RAW's Sony files; the identity in RGB mode).
        frame_to_lr_jpg = resize_map(lr_jpg, frame)
        lr_to_jpg, lr_box = fov_frame_to_jpg(lr_jpg, fov_ratio(focal['lr'], focal['reference']),
                                             ref_shape)
        hr_to_jpg, hr_box = fov_frame_to_jpg(hr_jpg, fov_ratio(focal['hr'], focal['reference']),
                                             ref_shape)
        a_lr, a_hr = as3x3(results['tforms']['lr']), as3x3(results['tforms']['hr'])
        frame_to_hr = (hr_to_jpg @ a_hr @ np.linalg.inv(a_lr) @ np.linalg.inv(lr_to_jpg)
                       @ frame_to_lr_jpg)
        hr_valid = inner_box(np.linalg.inv(frame_to_hr) @ box_edges(*hr_box))
        lr_valid = inner_box(np.linalg.inv(frame_to_lr_jpg) @ box_edges(*lr_box))
        return frame_to_hr, lr_valid, hr_valid

    def transform(self, results: dict) -> dict:
        scale = int(results['scale'])
        img, hr = results['img'], results['gt']
        where = f'{results.get("img_path")} / {results.get("gt_path")}'
        if tuple(hr.shape[:2]) != tuple(results['frame_shapes']['hr']):
            raise ValueError(f'{results.get("gt_path")}: decoded size {hr.shape[:2]} differs from '
                             f'its header size {tuple(results["frame_shapes"]["hr"])}')
        frame_to_hr, lr_valid, hr_valid = self._pair_maps(results)
        oy, ox = results['img_origin']
        y_lo, y_hi = max(lr_valid[0], hr_valid[0]), min(lr_valid[1], hr_valid[1])
        x_lo, x_hi = max(lr_valid[2], hr_valid[2]), min(lr_valid[3], hr_valid[3])
        top, h = _even_span(y_lo, y_hi, oy, img.shape[0])
        left, w = _even_span(x_lo, x_hi, ox, img.shape[1])
        if h < 2 or w < 2:
            raise ValueError(f'{where}: the LR and HR shots share no region after alignment; '
                             'check the focal lengths (EXIF) and tform.txt of the sequence')
        lr = img[top:top + h, left:left + w]
        results['img'] = np.ascontiguousarray(lr, dtype=np.float32)
        results['img_origin'] = (oy + top, ox + left)
        # Target pixel -> frame position of the LR crop (s x s target pixels per LR pixel).
        target_to_frame = translate(ox + left, oy + top) @ resize_map((h, w),
                                                                        (scale * h, scale * w))
        warp = frame_to_hr @ target_to_frame
        gt = warp_region(hr, warp, (scale * h, scale * w), self.interpolation, self.antialias)
        results['gt'] = np.clip(gt, 0, 255) if self.clip else gt
        results['gt_warp'] = warp[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(interpolation={self.interpolation!r}, antialias='
                f'{self.antialias}, clip={self.clip})')

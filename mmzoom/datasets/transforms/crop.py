"""Paired LR/HR patch cropping that keeps the CFA phase of the mosaic (SDAN training crops)."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmagic.registry import TRANSFORMS

_POSITIONS = ('truncnorm', 'uniform', 'centre')


class PatchSizeError(ValueError):
    """A pair's aligned region is smaller than the patch; tools/train.py names the config key."""


def grid_factor(results: dict, key: str, lr_key: str = 'img') -> int:
    """How many pixels of ``results[key]`` span one pixel of ``results[lr_key]`` per axis (1
    for the reference Y', ``scale`` for the target); ValueError if not a common integer."""
    lr, arr = results[lr_key].shape[:2], results[key].shape[:2]
    factor = arr[0] // lr[0] if lr[0] else 0
    if factor < 1 or arr[0] != factor * lr[0] or arr[1] != factor * lr[1]:
        raise ValueError(f'{key!r} of shape {arr} is not an integer multiple of {lr_key!r} of '
                         f'shape {lr} ({results.get("gt_path", "")}); run SRRawFovAlign first')
    return factor


def truncated_normal_position(sigma: float = 0.2) -> float:
    """A number in [0, 1] from a normal law of mean 0.5 and standard deviation ``sigma``
    truncated to [0, 1] (SR-RAW / SDAN's crop-position law). Uses numpy's global generator,
    which MMEngine seeds per worker."""
    while True:  # rejection sampling: accepts ~98% of draws for sigma = 0.2
        p = np.random.normal(0.5, sigma)
        if 0.0 <= p <= 1.0:
            return float(p)


@TRANSFORMS.register_module()
class PairedRawCrop(BaseTransform):
    """Crop aligned LR/HR patches at even mosaic offsets (SDAN training patches).

    SDAN trains on HR patches of 576 px (512 + 2 x 32 px border that the loss shaves) with the
    matching mosaic patch of 576 / 4 = 144 px (packed 72 = 64 + 2 x 4). The position is drawn
    on the mosaic grid at even offsets, so the CFA phase is kept, and the HR patch starts at
    exactly ``scale`` times that offset, so the pair stays aligned to the pixel (the public code
    derives the RAW offset from the RGB one by integer division, off by up to 7 HR px).

    Required keys: ``img`` (H, W, C), ``scale``, ``gt`` (scale*H, scale*W, 3); ``ref`` (H, W, 3)
    is cropped too when present.
    Modified keys: ``img`` (gt_patch_size/scale square), ``gt`` (gt_patch_size square), ``ref``.
    Added keys: ``crop_pos`` (row, col) of the patch on the LR grid.

    Args:
        gt_patch_size (int): HR patch side; ``gt_patch_size / scale`` must be an even integer.
            Default: 576 (SDAN).
        position (str): ``'truncnorm'`` (default; the public code's law: mean 0.5, sd ``sigma``,
            truncated to [0, 1], as a fraction of the free range per axis), ``'uniform'``, or
            ``'centre'`` (deterministic, for validation and tests).
        sigma (float): standard deviation of ``'truncnorm'``. Default: 0.2.
        keys (Sequence[str]): keys cropped with the LR grid of ``img``. Default:
            ``('img', 'gt', 'ref')``; missing keys are skipped.
    """

    def __init__(self, gt_patch_size: int = 576, position: str = 'truncnorm', sigma: float = 0.2,
                 keys: Sequence[str] = ('img', 'gt', 'ref')) -> None:
        if position not in _POSITIONS:
            raise ValueError(f'position must be one of {_POSITIONS}, got {position!r}')
        if int(gt_patch_size) != gt_patch_size or gt_patch_size < 2:
            raise ValueError(f'gt_patch_size must be a positive integer, got {gt_patch_size}')
        if sigma <= 0:
            raise ValueError(f'sigma must be positive, got {sigma}')
        self.gt_patch_size = int(gt_patch_size)
        self.position = position
        self.sigma = sigma
        self.keys = list(keys)

    def _fraction(self) -> float:
        if self.position == 'centre':
            return 0.5
        if self.position == 'uniform':
            return float(np.random.uniform(0.0, 1.0))
        return truncated_normal_position(self.sigma)

    def transform(self, results: dict) -> dict:
        scale = int(results['scale'])
        patch, rest = divmod(self.gt_patch_size, scale)
        if rest or patch % 2:
            raise ValueError(f'gt_patch_size {self.gt_patch_size} / scale {scale} must be an even '
                             'integer (the LR patch is cut in whole 2x2 CFA tiles), e.g. 576 for '
                             '4x and 8x')
        h, w = results['img'].shape[:2]
        if h < patch or w < patch:
            raise PatchSizeError(f'{results.get("img_path")}: aligned LR region of {h}x{w} px is '
                             f'smaller than the {patch} px patch (HR {self.gt_patch_size}); lower '
                             'gt_patch_size or drop this pair')
        # Even offsets only: (free range // 2) tiles of 2x2, position as a fraction of it.
        top = 2 * int(round(self._fraction() * ((h - patch) // 2)))
        left = 2 * int(round(self._fraction() * ((w - patch) // 2)))
        factors = {key: grid_factor(results, key) for key in self.keys if key in results}
        for key, f in factors.items():
            results[key] = np.ascontiguousarray(
                results[key][f * top:f * (top + patch), f * left:f * (left + patch)])
        results['crop_pos'] = (top, left)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(gt_patch_size={self.gt_patch_size}, position='
                f'{self.position!r}, sigma={self.sigma}, keys={self.keys})')

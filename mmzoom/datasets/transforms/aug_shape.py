"""Flips and transposes of LR/HR pairs that keep the Bayer CFA phase (SDAN "++ Flip augment")."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmagic.registry import TRANSFORMS
from mmzoom.raw import (BAYER_PATTERNS, cfa_offset, pattern_after_crop, pattern_after_flip,
                        pattern_after_transpose)
from .crop import grid_factor

_DIRECTIONS = ('horizontal', 'vertical', 'transpose')


def _take(arr: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    index = [slice(None)] * arr.ndim
    index[axis] = slice(start, stop)
    return arr[tuple(index)]


@TRANSFORMS.register_module()
class CfaSafeFlip(BaseTransform):
    """Random horizontal/vertical flips and transposes of a mosaic and its target that keep the
    CFA phase (SDAN's training augmentation, Sec. 4.1).

    Not Table 2's "++ Flip augment": that row is the flip-augmented *reference* of Sec. 3.2
    (``SDANNet(flip_ref=True)``). The public training code flips horizontally and vertically
    only (its transpose is a no-op: the result of ``img.transpose(1, 0, 2)`` is never
    assigned); the SR-RAW configs also transpose, since a transpose keeps RGGB and doubles the
    orientations seen. Set ``directions=['horizontal', 'vertical']`` for the public code's set.

    Flipping a mosaic of even width mirrors its CFA phase (RGGB -> GRBG); the public SDAN code
    flips anyway, so flipped samples present a different CFA to the network. Here, after a flip
    the mosaic is cropped by the one row/column that restores ``canonical_pattern``
    (:func:`mmzoom.raw.cfa_offset`) and the other keys by the matching ``scale`` (or 1) pixels,
    so the pair stays aligned. To keep every sample the same size, each flip axis loses 2 mosaic
    pixels whether or not the coin flips: 1 at each end when flipped, 2 at the end otherwise.
    Transposes keep RGGB and BGGR and need no crop.

    Put it *before* :class:`PairedRawCrop` (on the aligned image) so that patches keep their
    exact size (144 / 576); after a crop it still works but shrinks each flip axis by 2
    (transposes then need square patches to batch). RGB-mode samples (no ``mosaic_pattern``)
    get the same crops, so both input modes see the same geometry.

    Required keys: ``img`` (H, W, C) with H, W even and >= 4; the other ``keys`` present on an
    integer multiple of its grid; ``mosaic_pattern`` when ``img`` is a mosaic.
    Modified keys: ``keys`` (views, not copies), ``mosaic_pattern``.
    Added keys: ``cfa_flips`` (list of the directions applied).

    Args:
        keys (Sequence[str]): arrays transformed together; the first must be the LR grid
            (``img``). Default: ``('img', 'gt', 'ref')``; missing keys are skipped.
        flip_ratio (float): probability of each direction. Default: 0.5.
        directions (Sequence[str]): any of ``'horizontal'``, ``'vertical'``, ``'transpose'``,
            drawn independently in this order. Default: all three (the public code's set).
        canonical_pattern (str): phase to keep. Default: ``'RGGB'``.
    """

    def __init__(self, keys: Sequence[str] = ('img', 'gt', 'ref'), flip_ratio: float = 0.5,
                 directions: Sequence[str] = _DIRECTIONS,
                 canonical_pattern: str = 'RGGB') -> None:
        keys = list(keys)
        if not keys or keys[0] != 'img':
            raise ValueError(f"keys must start with the LR grid 'img', got {keys}")
        directions = [directions] if isinstance(directions, str) else list(directions)
        unknown = [d for d in directions if d not in _DIRECTIONS]
        if unknown:
            raise ValueError(f'unknown directions {unknown}; choose from {_DIRECTIONS}')
        if not 0 <= flip_ratio <= 1:
            raise ValueError(f'flip_ratio must be in [0, 1], got {flip_ratio}')
        if canonical_pattern not in BAYER_PATTERNS:
            raise ValueError(f'canonical_pattern must be one of {BAYER_PATTERNS}')
        if 'transpose' in directions and \
                pattern_after_transpose(canonical_pattern) != canonical_pattern:
            raise ValueError(f'a transpose turns {canonical_pattern} into '
                             f'{pattern_after_transpose(canonical_pattern)}; use RGGB or BGGR '
                             'as the canonical pattern (LoadRawFromFile) to transpose')
        self.keys = keys
        self.flip_ratio = flip_ratio
        self.directions = directions
        self.canonical_pattern = canonical_pattern

    def _flip(self, results: dict, factors: dict, axis: int, flip: bool) -> None:
        n = results['img'].shape[axis]
        pattern = results.get('mosaic_pattern', self.canonical_pattern)
        if flip:
            pattern = pattern_after_flip(pattern, axis, n)
            offset = cfa_offset(pattern, self.canonical_pattern)
            start = offset[axis]
            if offset[1 - axis]:
                raise AssertionError(f'a flip along axis {axis} moved the CFA phase along the '
                                     f'other axis ({pattern})')
            pattern = pattern_after_crop(pattern, *offset)
        else:
            start = 0
        for key, f in factors.items():
            arr = np.flip(results[key], axis) if flip else results[key]
            results[key] = _take(arr, axis, f * start, f * (start + n - 2))
        if 'mosaic_pattern' in results:
            results['mosaic_pattern'] = pattern

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        if h % 2 or w % 2 or min(h, w) < 4:
            raise ValueError(f'CfaSafeFlip needs an even-sized LR array of at least 4x4, got '
                             f'{h}x{w} ({results.get("img_path")})')
        pattern = results.get('mosaic_pattern', self.canonical_pattern)
        if pattern != self.canonical_pattern:
            raise ValueError(f'CfaSafeFlip expects the {self.canonical_pattern} phase, the mosaic '
                             f'has {pattern}; set LoadRawFromFile(canonical_pattern=...) to match')
        factors = {key: grid_factor(results, key) if key != 'img' else 1
                   for key in self.keys if key in results}
        applied = []
        for direction in self.directions:
            coin = bool(np.random.rand() < self.flip_ratio)
            if direction == 'transpose':
                if coin:
                    for key in factors:
                        arr = results[key]
                        results[key] = arr.transpose(1, 0, *range(2, arr.ndim))
            else:
                self._flip(results, factors, 1 if direction == 'horizontal' else 0, coin)
            if coin:
                applied.append(direction)
        results['cfa_flips'] = applied
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, flip_ratio={self.flip_ratio}, '
                f'directions={self.directions}, canonical_pattern={self.canonical_pattern!r})')

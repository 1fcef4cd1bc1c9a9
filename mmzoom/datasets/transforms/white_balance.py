"""Removing and re-applying the camera white balance of SR-RAW targets (SR-RAW, Sec. 3 of
Zhang et al., CVPR 2019; SDAN Sec. 4.1 trains on white-balance-free targets).

The gains ``g = (gR, gG, gG, gB)`` of ``wb.txt`` are linear (camera-WB render / daylight render,
see :mod:`mmzoom.raw.white_balance`); the camera JPG is gamma-encoded, so the SR-RAW code divides
each sRGB channel by ``g[c] ** (1 / 2.2)``. The arithmetic lives in :mod:`mmzoom.raw.white_balance`, shared with the evaluation protocol.
"""
from typing import Dict, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmagic.registry import TRANSFORMS
from mmzoom.raw.white_balance import WB_GAMMA, compute_wb_gains, remove_white_balance

@TRANSFORMS.register_module()
class RemoveWhiteBalance(BaseTransform):
    """Divide RGB images by the camera white balance of their shot (SR-RAW target preparation).

    SR-RAW's targets are camera JPGs rendered with the camera's white balance, while the RAW
    input carries none; the SR-RAW and SDAN code therefore remove it from the target
    (``Y[c] /= g[c] ** (1/2.2)``, gains from ``wb.txt``) and re-apply it after inference
    (:mod:`mmzoom.evaluation` does that at evaluation). In RGB-input mode the LR camera JPG is
    white-balance-free in the same way, with its own shot's gains.

    Required keys: each of ``keys`` ((H, W, 3) RGB, 0..255) and its gains key.
    Modified keys: ``keys`` (float32).

    Args:
        keys (Sequence[str]): images to correct. Default: ``('gt',)``.
        gain_keys (dict, optional): image key -> results key of its ``(gR, gG, gG, gB)`` gains.
            Default: ``gt`` -> ``'wb_gains'`` (the HR shot's, kept as metainfo for evaluation),
            any other key ``k`` -> ``'k_wb_gains'`` (``img_wb_gains`` is the LR shot's, set by
            :class:`~mmzoom.datasets.SRRawDataset`).
        gamma (float): encoding gamma. Default: 2.2 (SR-RAW's).
        clip (bool): clip the result to 0..255, as the SR-RAW code clips its targets.
            Default: True.
    """

    def __init__(self, keys: Sequence[str] = ('gt', ), gain_keys: Optional[Dict[str, str]] = None,
                 gamma: float = WB_GAMMA, clip: bool = True) -> None:
        self.keys = [keys] if isinstance(keys, str) else list(keys)
        self.gain_keys = {k: ('wb_gains' if k == 'gt' else f'{k}_wb_gains') for k in self.keys}
        self.gain_keys.update(gain_keys or {})
        if gamma <= 0:
            raise ValueError(f'gamma must be positive, got {gamma}')
        self.gamma = gamma
        self.clip = clip

    def transform(self, results: dict) -> dict:
        for key in self.keys:
            gain_key = self.gain_keys[key]
            if gain_key not in results:
                raise KeyError(f'RemoveWhiteBalance: no {gain_key!r} for {key!r} in the sample '
                               f'({results.get(f"{key}_path", "unknown file")}); SRRawDataset '
                               'sets it from wb.txt')
            out = remove_white_balance(results[key], results[gain_key], self.gamma)
            results[key] = np.clip(out, 0, 255) if self.clip else out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, gain_keys={self.gain_keys}, '
                f'gamma={self.gamma}, clip={self.clip})')


@TRANSFORMS.register_module()
class ComputeWbGains(BaseTransform):
    """Give a bare RAW file the white-balance gains ``wb.txt`` would hold for it.

    SR-RAW samples carry their shot's gains from ``wb.txt`` (``img_wb_gains``); a RAW file on
    its own has none. This computes them from the file the way ``compute_wb.py`` writes them
    (:func:`mmzoom.raw.white_balance.compute_wb_gains`, two half-size LibRaw renders) when the
    sample has none, for SDAN's rendered self reference (``self_ref='render'``).

    Required keys: ``<key>_path``. Added keys: ``<key>_wb_gains`` (gR, gG, gG, gB), unless set.

    Args:
        key (str): the RAW image's key. Default: ``'img'``.
    """

    def __init__(self, key: str = 'img') -> None:
        self.key = key

    def transform(self, results: dict) -> dict:
        if f'{self.key}_wb_gains' not in results:
            results[f'{self.key}_wb_gains'] = compute_wb_gains(results[f'{self.key}_path'])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(key={self.key!r})'

"""Per-image white-balance gains of SR-RAW shots (what ``wb.txt`` stores).

Definition used by mmzoom (the SR-RAW code's, made robust to clipping):

    gain[c] = sum(camera_wb[c]) / sum(daylight[c]) over the pixels unsaturated in both renders

where ``camera_wb`` and ``daylight`` are LibRaw renders of the RAW file (rawpy ``postprocess``)
with the camera's as-shot white balance (``use_camera_wb=True``) and with LibRaw's daylight
multipliers (``use_camera_wb=False``, no user multipliers), both linear (``gamma=(1, 1)``),
without auto-brightening, 16 bit, and ``half_size=True`` (each output pixel is one 2x2 CFA tile,
so demosaicing cannot mix channels into the ratio). A pixel with any channel at 65535 in either
render is left out because clipping would bias the ratio towards 1. The gains are written
``gR gG gG gB``; targets are white-balance-free after ``Y[c] /= g[c] ** (1 / 2.2)``.
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple, Union

import numpy as np

from .metafiles import write_wb
from .rawfile import RawReadError
from .srraw_tree import shot_paths

_SATURATED = 65535


def compute_wb_gains(raw_path: Union[str, os.PathLike]) -> Tuple[float, float, float, float]:
    """Camera-WB / daylight gains ``(gR, gG, gG, gB)`` of one RAW file (definition above).

    Raises:
        FileNotFoundError: no such file.
        RawReadError: LibRaw cannot decode it, or every pixel is saturated.
    """
    import rawpy

    path = os.fspath(raw_path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'RAW file not found: {path}')
    common = dict(gamma=(1, 1), no_auto_bright=True, output_bps=16, half_size=True)
    try:
        with rawpy.imread(path) as raw:
            camera = raw.postprocess(use_camera_wb=True, **common)
            daylight = raw.postprocess(use_camera_wb=False, **common)
    except rawpy.LibRawError as err:
        from .rawfile import _RAW_FIX, diagnose_raw_file
        raise RawReadError(f'{path} {diagnose_raw_file(path, str(err))}; {_RAW_FIX}') from err
    valid = (camera.max(axis=-1) < _SATURATED) & (daylight.max(axis=-1) < _SATURATED)
    if not valid.any():
        raise RawReadError(f'{path}: every pixel is saturated; white balance is undefined')
    cam = camera[valid].astype(np.float64).sum(axis=0)
    day = daylight[valid].astype(np.float64).sum(axis=0)
    if np.any(day <= 0):
        raise RawReadError(f'{path}: a colour channel is black in the daylight render')
    g = cam / day
    return float(g[0]), float(g[1]), float(g[1]), float(g[2])


def compute_sequence_wb(seq_dir: Union[str, os.PathLike],
                        raw_ext: str = 'ARW') -> Dict[int, Tuple[float, float, float, float]]:
    """Gains of every RAW shot of one sequence folder, written to its ``wb.txt``.

    Nothing is written if any shot fails (a partial wb.txt would look complete to the dataset);
    the RawReadError then names every failing file.
    """
    seq_dir = os.fspath(seq_dir)
    raws = shot_paths(seq_dir, raw_ext)
    if not raws:
        raise ValueError(f'{seq_dir} holds no 0000k.{raw_ext} RAW files (wrong RAW extension?)')
    gains, errors = {}, []
    for k, path in raws.items():
        try:
            gains[k] = compute_wb_gains(path)
        except (RawReadError, FileNotFoundError) as err:
            errors.append(str(err))
    if errors:
        raise RawReadError('; '.join(errors))
    write_wb(osp.join(seq_dir, 'wb.txt'), gains)
    return gains


#: The display gamma SR-RAW uses to move linear gains onto sRGB values.
WB_GAMMA = 2.2


def wb_channel_factors(gains: Sequence[float], gamma: float = WB_GAMMA) -> np.ndarray:
    """Per-channel (R, G, B) factors ``g[c] ** (1 / gamma)`` of a ``wb.txt`` entry.

    Args:
        gains: ``(gR, gG, gG, gB)`` as ``wb.txt`` stores them, or ``(gR, gG, gB)``.
        gamma: encoding gamma of the images the factors act on.

    Returns:
        (3,) float64 array.
    """
    g = np.asarray(gains, dtype=np.float64).ravel()
    if g.size == 4:
        g = g[[0, 1, 3]]  # the two greens are equal in wb.txt; SR-RAW's code uses the first
    if g.size != 3 or not np.all(np.isfinite(g)) or np.any(g <= 0):
        raise ValueError(f'white-balance gains must be 3 or 4 positive numbers (gR gG [gG] gB), '
                         f'got {list(gains)}')
    return g ** (1.0 / gamma)


def remove_white_balance(img: np.ndarray, gains: Sequence[float],
                         gamma: float = WB_GAMMA) -> np.ndarray:
    """``img[..., c] / g[c] ** (1 / gamma)`` for an (..., 3) RGB image (float32 result)."""
    if img.shape[-1] != 3:
        raise ValueError(f'white balance acts on (..., 3) RGB images, got shape {img.shape}')
    factors = wb_channel_factors(gains, gamma).astype(np.float32)
    return img.astype(np.float32, copy=False) / factors


def apply_white_balance(img: np.ndarray, gains: Sequence[float],
                        gamma: float = WB_GAMMA) -> np.ndarray:
    """Inverse of :func:`remove_white_balance`: ``img[..., c] * g[c] ** (1 / gamma)``."""
    if img.shape[-1] != 3:
        raise ValueError(f'white balance acts on (..., 3) RGB images, got shape {img.shape}')
    factors = wb_channel_factors(gains, gamma).astype(np.float32)
    return img.astype(np.float32, copy=False) * factors

"""Bayer mosaics: 4-channel packing and colour-filter-array (CFA) pattern algebra.

Every part of mmzoom that packs a mosaic or reasons about its CFA phase calls these functions:
the RAW reader, the dataset transforms (packing, CFA-safe crops and flips) and the tools.

A CFA pattern is written as a 4-letter string giving the colours of the top-left 2x2 tile in
row-major order: ``'RGGB'`` means R at (0, 0), G at (0, 1), G at (1, 0), B at (1, 1).
"""
from typing import Sequence, Tuple, Union

import numpy as np

#: The four 2x2 Bayer patterns.
BAYER_PATTERNS = ('RGGB', 'BGGR', 'GRBG', 'GBRG')

#: Tile positions (row, col) of the packed channels, in the order of the SR-RAW code:
#: [0::2, 0::2], [0::2, 1::2], [1::2, 1::2], [1::2, 0::2].
PACK_ORDER = ((0, 0), (0, 1), (1, 1), (1, 0))

# Colour indices used by the DNG CFAPattern tag (TIFF/EP): 0 red, 1 green, 2 blue.
_DNG_COLOUR_CODE = {'R': 0, 'G': 1, 'B': 2}


def _check_pattern(pattern: str) -> str:
    if not isinstance(pattern, str) or pattern.upper() not in BAYER_PATTERNS:
        raise ValueError(f'unknown Bayer pattern {pattern!r}; expected one of {BAYER_PATTERNS}')
    return pattern.upper()


def pack_bayer(mosaic: np.ndarray) -> np.ndarray:
    """Pack a Bayer mosaic into 4 half-resolution channels.

    Args:
        mosaic: (H, W) array, H and W even.

    Returns:
        (H/2, W/2, 4) array of the same dtype; channel ``i`` holds the pixels at tile position
        ``PACK_ORDER[i]``, i.e. ``[0::2, 0::2], [0::2, 1::2], [1::2, 1::2], [1::2, 0::2]``
        (the order of the SR-RAW code; for an RGGB mosaic the channels are R, G, B, G).
    """
    mosaic = np.asarray(mosaic)
    if mosaic.ndim != 2:
        raise ValueError(f'pack_bayer expects a 2-D (H, W) mosaic, got shape {mosaic.shape}; '
                         'squeeze a trailing channel axis first')
    h, w = mosaic.shape
    if h % 2 or w % 2:
        raise ValueError(f'pack_bayer needs an even-sized mosaic, got {h}x{w}; crop one row/column '
                         'with a CFA-aware crop (see cfa_offset) before packing')
    return np.stack([mosaic[dy::2, dx::2] for dy, dx in PACK_ORDER], axis=-1)


def unpack_bayer(packed: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_bayer`: (h, w, 4) -> (2h, 2w) mosaic of the same dtype."""
    packed = np.asarray(packed)
    if packed.ndim != 3 or packed.shape[-1] != 4:
        raise ValueError(f'unpack_bayer expects a (h, w, 4) packed array, got shape {packed.shape}')
    h, w = packed.shape[:2]
    mosaic = np.empty((2 * h, 2 * w), dtype=packed.dtype)
    for i, (dy, dx) in enumerate(PACK_ORDER):
        mosaic[dy::2, dx::2] = packed[..., i]
    return mosaic


def packed_channel_colours(pattern: str) -> str:
    """Colour of each :func:`pack_bayer` channel, e.g. ``'RGGB'`` -> ``'RGBG'``."""
    pattern = _check_pattern(pattern)
    return ''.join(pattern[2 * dy + dx] for dy, dx in PACK_ORDER)


def pattern_from_rawpy(raw_pattern: Union[np.ndarray, Sequence[Sequence[int]]],
                       color_desc: Union[bytes, str]) -> str:
    """Pattern string from rawpy's ``raw_pattern`` (2x2 colour indices) and ``color_desc``.

    For example ``raw_pattern=[[0, 1], [3, 2]]`` with ``color_desc=b'RGBG'`` gives ``'RGGB'``.
    Raises ValueError for anything that is not a 2x2 RGB Bayer pattern (X-Trans, CYGM, ...).
    """
    if isinstance(color_desc, bytes):
        color_desc = color_desc.decode('ascii')
    indices = np.asarray(raw_pattern)
    if indices.shape != (2, 2):
        raise ValueError(f'not a 2x2 Bayer sensor: CFA pattern of shape {indices.shape}')
    pattern = ''.join(color_desc[int(i)] for i in indices.ravel())
    if pattern not in BAYER_PATTERNS:
        raise ValueError(f'unsupported CFA {pattern!r} (colour description {color_desc!r}); '
                         f'only {BAYER_PATTERNS} are handled')
    return pattern


def dng_cfa_codes(pattern: str) -> Tuple[int, int, int, int]:
    """Values of the DNG/TIFF-EP ``CFAPattern`` tag (0 red, 1 green, 2 blue) for a pattern."""
    return tuple(_DNG_COLOUR_CODE[c] for c in _check_pattern(pattern))


def pattern_after_crop(pattern: str, dy: int, dx: int) -> str:
    """Pattern of ``mosaic[dy:, dx:]`` given the pattern of ``mosaic``.

    Only the parity of the offsets matters: cropping an even number of pixels keeps the pattern.
    """
    pattern = _check_pattern(pattern)
    return ''.join(pattern[2 * ((i + dy) % 2) + (j + dx) % 2] for i in (0, 1) for j in (0, 1))


def cfa_offset(pattern: str, target: str = 'RGGB') -> Tuple[int, int]:
    """The one-pixel crop ``(dy, dx)`` such that ``mosaic[dy:, dx:]`` has the ``target`` pattern.

    ``cfa_offset('GRBG')`` is ``(0, 1)``: dropping the first column of a GRBG mosaic gives RGGB.
    """
    pattern, target = _check_pattern(pattern), _check_pattern(target)
    for dy in (0, 1):
        for dx in (0, 1):
            if pattern_after_crop(pattern, dy, dx) == target:
                return dy, dx
    # Every Bayer pattern is a shift of every other, so this is unreachable for valid input.
    raise AssertionError(f'no crop turns {pattern} into {target}')


def pattern_after_flip(pattern: str, axis: int, size: int) -> str:
    """Pattern of ``np.flip(mosaic, axis)`` for a mosaic whose length along ``axis`` is ``size``.

    Row ``i`` of the flipped mosaic is row ``size - 1 - i`` of the original, so an even length
    swaps the two pattern rows (RGGB -> GBRG for a vertical flip) while an odd length keeps them.
    """
    pattern = _check_pattern(pattern)
    if axis not in (0, 1):
        raise ValueError(f'axis must be 0 (vertical flip) or 1 (horizontal flip), got {axis}')
    if size < 1:
        raise ValueError(f'mosaic size along axis {axis} must be positive, got {size}')
    last = (size - 1) % 2
    out = []
    for i in (0, 1):
        for j in (0, 1):
            src = ((last - i) % 2, j) if axis == 0 else (i, (last - j) % 2)
            out.append(pattern[2 * src[0] + src[1]])
    return ''.join(out)


def pattern_after_transpose(pattern: str) -> str:
    """Pattern of ``mosaic.T``: the two greens trade places (GRBG <-> GBRG, RGGB stays)."""
    pattern = _check_pattern(pattern)
    return pattern[0] + pattern[2] + pattern[1] + pattern[3]


def tile_cfa(values: Sequence[float], shape: Tuple[int, int],
             dtype: Union[np.dtype, type] = np.float32,
             phase: Tuple[int, int] = (0, 0)) -> np.ndarray:
    """Per-pixel map of shape ``shape`` repeating a 2x2 tile given in row-major order.

    Used for per-CFA-position levels, e.g. ``raw - tile_cfa(black, raw.shape)``. ``phase`` is
    the (row, col) of the map's pixel (0, 0) in the frame the tile is given for (its parity is
    what matters), for a window that does not start on the tile.
    """
    tile = np.asarray(values, dtype=dtype).reshape(2, 2)
    tile = np.roll(tile, (-(int(phase[0]) % 2), -(int(phase[1]) % 2)), axis=(0, 1))
    h, w = shape
    return np.tile(tile, ((h + 1) // 2, (w + 1) // 2))[:h, :w]

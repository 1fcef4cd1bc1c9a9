"""Reading camera RAW files (rawpy/LibRaw) and writing Bayer DNG files (tifffile).

:func:`read_raw` is how every part of mmzoom gets a Bayer mosaic from an SR-RAW ``.ARW`` (or any
Bayer RAW LibRaw decodes): black and white levels and the CFA pattern come from the file itself.
:func:`write_dng` writes a minimal but valid Bayer DNG that rawpy reads back bit-exactly; the demo
dataset generator and the tests use it to make real RAW files from ordinary photos.
"""
import os
import os.path as osp
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from .bayer import dng_cfa_codes, pack_bayer, pattern_from_rawpy, tile_cfa

#: Black level of the Sony camera (ILCE-7RM2, 14-bit ARW) of SR-RAW. Used only when a file does
#: not carry its own levels (read_raw then warns); never a default for files that do.
SONY_ARW_BLACK_LEVEL = 512
#: White (saturation) level of the same camera; same caveat.
SONY_ARW_WHITE_LEVEL = 16383

# XYZ(D65) -> linear sRGB. Written as the DNG ColorMatrix1 it makes "camera RGB" = linear sRGB,
# so LibRaw's colour conversion is the identity and its daylight multipliers are all 1.
XYZ_TO_LINEAR_SRGB = np.array([[3.2404542, -1.5371385, -0.4985314],
                               [-0.9692660, 1.8760108, 0.0415560],
                               [0.0556434, -0.2040259, 1.0572252]])
# LibRaw (like dcraw) declares files with a side under 22 px "not RAW".
_LIBRAW_MIN_SIDE = 22


class RawReadError(ValueError):
    """A RAW file exists but cannot be decoded as a Bayer mosaic. The message names the file."""


#: File signatures of what is often mistaken for a RAW file.
_IMAGE_SIGNATURES = ((b'\xff\xd8\xff', 'a JPEG image'), (b'\x89PNG\r\n\x1a\n', 'a PNG image'),
                     (b'BM', 'a BMP image'), (b'GIF8', 'a GIF image'))
_TIFF_SIGNATURES = (b'II*\x00', b'MM\x00*')  # DNG, ARW, NEF ... are TIFF-based
_RAW_FIX = ('download it again or remove the shot (tools/dataset_converters/srraw/'
            'check_dataset.py lists all such files)')


def image_kind(head: bytes) -> Optional[str]:
    """``'a JPEG image'`` / ``'a PNG image'`` / ... when a file's first bytes are those of an
    ordinary image format, else None (a RAW file, or something else)."""
    return next((kind for signature, kind in _IMAGE_SIGNATURES if head.startswith(signature)),
                None)


def diagnose_raw_file(path: str, libraw_error: str = '') -> str:
    """What is wrong with a file LibRaw refused, in words: ``'is empty (0 bytes)'``, ``'is a
    JPEG image, not a RAW file'``, ``'is a text file, not a RAW file'``, ``'is truncated or
    damaged (...)'``; from its size and first bytes."""
    try:
        size = osp.getsize(path)
        with open(path, 'rb') as f:
            head = f.read(64)
    except OSError as err:
        return f'cannot be read ({err.strerror})'
    if size == 0:
        return 'is empty (0 bytes)'
    kind = image_kind(head)
    if kind:
        return f'is {kind}, not a RAW file'
    if head.startswith(_TIFF_SIGNATURES):
        return (f'is truncated or damaged: it starts like a RAW file but LibRaw cannot read its '
                f'image data ({libraw_error}, {size} bytes)')
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return 'is a text file, not a RAW file'
    return f'is not a RAW file LibRaw can read ({libraw_error})'


@dataclass
class RawImage:
    """A decoded Bayer RAW frame.

    Attributes:
        path: the file it was read from.
        mosaic: (H, W) float32, ``(raw - black) / (white - black)`` with the black level of the
            CFA position of each pixel; not clipped (noise goes below 0, nothing above 1 unless
            the file's white level is too low).
        pattern: CFA pattern of ``mosaic`` (e.g. ``'RGGB'``), see :mod:`mmzoom.raw.bayer`.
        black: black level of the four positions of the 2x2 tile, row-major (the order of
            ``pattern``), in raw digital numbers.
        white: white (saturation) level in raw digital numbers.
        dtype: dtype name of the stored samples (``'uint16'`` for ARW/DNG).
        bit_depth: bits needed for ``white`` (14 for SR-RAW's Sony files).
        levels_from_file: False when a documented fallback level had to be used.
        rgb_cam: 3x3 map from white-balanced camera RGB to linear sRGB, LibRaw's (from the
            file's colour matrix, DNG ``ColorMatrix`` or LibRaw's table for the model); the
            identity when LibRaw knows none. Rows as LibRaw's ``rgb_cam`` (each sums to 1).
        camera_wb: the as-shot white-balance multipliers (R, G, B), the smallest 1.
    """
    path: str
    mosaic: np.ndarray
    pattern: str
    black: Tuple[float, float, float, float]
    white: float
    dtype: str
    bit_depth: int
    levels_from_file: bool = True
    rgb_cam: Tuple[Tuple[float, ...], ...] = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    camera_wb: Tuple[float, float, float] = (1.0, 1.0, 1.0)

    def packed(self) -> np.ndarray:
        """(H/2, W/2, 4) packed mosaic, see :func:`mmzoom.raw.bayer.pack_bayer`."""
        return pack_bayer(self.mosaic)


def read_raw(path: Union[str, os.PathLike], black_level: Optional[Sequence[float]] = None,
             white_level: Optional[float] = None) -> RawImage:
    """Decode a Bayer RAW file (ARW, DNG, ...) into a normalised mosaic with its levels.

    Args:
        path: the RAW file.
        black_level: override the file's black level (one value, or four for the 2x2 tile
            row-major). Default: read from the file.
        white_level: override the file's white level. Default: read from the file.

    Returns:
        :class:`RawImage` with the visible sensor area.

    Raises:
        FileNotFoundError: the file does not exist.
        RawReadError: LibRaw cannot decode it (corrupt, truncated, unsupported) or it is not a
            2x2 Bayer sensor.
    """
    import rawpy  # imported here so that the light helpers of this package do not need it

    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'RAW file not found: {path}')
    try:
        with rawpy.imread(path) as raw:
            stored = raw.raw_image_visible
            if stored is None or stored.ndim != 2:
                raise RawReadError(f'{path} holds no single-plane Bayer mosaic (a linear or '
                                   'demosaiced DNG?); mmzoom needs the sensor mosaic')
            stored = stored.copy()
            colours = raw.raw_colors_visible[:2, :2].copy()
            color_desc = raw.color_desc
            file_black = raw.black_level_per_channel
            file_white = raw.white_level
            rgb_cam = np.asarray(raw.color_matrix, dtype=np.float64)[:, :3]
            camera_wb = np.asarray(raw.camera_whitebalance, dtype=np.float64)[:3]
    except rawpy.LibRawError as err:
        msg = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise RawReadError(f'{path} {diagnose_raw_file(path, msg)}; {_RAW_FIX}') from err
    try:
        pattern = pattern_from_rawpy(colours, color_desc)
    except ValueError as err:
        raise RawReadError(f'{path}: {err}') from err

    from_file = True
    if black_level is not None:
        black = np.broadcast_to(np.asarray(black_level, dtype=np.float64), (4, )).reshape(2, 2)
    elif file_black is None or len(file_black) < 4:
        from_file = False
        warnings.warn(f'{path} carries no black level; using the Sony ARW value '
                      f'{SONY_ARW_BLACK_LEVEL}. Pass black_level= if that is not the camera.')
        black = np.full((2, 2), float(SONY_ARW_BLACK_LEVEL))
    else:
        # rawpy gives black per colour index; map it onto the tile positions of the pattern.
        black = np.asarray(file_black, dtype=np.float64)[colours]
    if white_level is not None:
        white = float(white_level)
    elif not file_white or file_white <= black.max():
        from_file = False
        warnings.warn(f'{path} carries no usable white level ({file_white}); using the Sony ARW '
                      f'value {SONY_ARW_WHITE_LEVEL}. Pass white_level= if that is not the camera.')
        white = float(SONY_ARW_WHITE_LEVEL)
    else:
        white = float(file_white)

    mosaic = normalise_counts(stored, black.ravel(), white)
    return RawImage(path=path, mosaic=mosaic, pattern=pattern,
                    black=tuple(float(b) for b in black.ravel()), white=white,
                    dtype=stored.dtype.name, bit_depth=int(np.ceil(np.log2(white + 1))),
                    levels_from_file=from_file, **_colour_of(rgb_cam, camera_wb))


def _colour_of(rgb_cam: np.ndarray, camera_wb: np.ndarray) -> dict:
    """RawImage's colour fields from LibRaw's values; LibRaw leaves zeros where it knows
    nothing (then: identity matrix, unit multipliers, as its own render falls back to)."""
    out = {}
    if rgb_cam.shape == (3, 3) and np.all(np.isfinite(rgb_cam)) and np.abs(rgb_cam).sum() > 0:
        out['rgb_cam'] = tuple(tuple(float(v) for v in row) for row in rgb_cam)
    if camera_wb.shape == (3, ) and np.all(np.isfinite(camera_wb)) and np.all(camera_wb > 0):
        out['camera_wb'] = tuple(float(v) for v in camera_wb / camera_wb.min())
    return out


def normalise_counts(counts: np.ndarray, black: Sequence[float], white: float,
                     phase: Tuple[int, int] = (0, 0)) -> np.ndarray:
    """``(counts - black) / (white - black)`` in float32, black per 2x2 CFA position.

    The one place the normalisation of :func:`read_raw` is written, so that a mosaic read back
    from raw digital numbers (the prepared pair store) equals the decoded one to the bit.

    Args:
        counts: (H, W) raw digital numbers (any integer dtype).
        black: black level of the 2x2 tile of the frame, row-major.
        white: white level.
        phase: (row, col) parity of ``counts[0, 0]`` in that frame.

    Returns:
        (H, W) float32 mosaic, not clipped.
    """
    black_map = tile_cfa(black, counts.shape, dtype=np.float32, phase=phase)
    return (counts.astype(np.float32) - black_map) / (np.float32(white) - black_map)


def probe_raw(path: Union[str, os.PathLike]) -> Tuple[Tuple[int, int], str]:
    """Decode a RAW file only far enough to validate it: ``((H, W), pattern)`` of the visible
    mosaic. Same errors as :func:`read_raw`, without the float conversion (cheap on 42 MP)."""
    import rawpy

    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'RAW file not found: {path}')
    try:
        with rawpy.imread(path) as raw:
            stored = raw.raw_image_visible
            if stored is None or stored.ndim != 2:
                raise RawReadError(f'{path} holds no single-plane Bayer mosaic')
            pattern = pattern_from_rawpy(raw.raw_colors_visible[:2, :2], raw.color_desc)
            return stored.shape, pattern
    except rawpy.LibRawError as err:
        msg = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise RawReadError(f'{path} {diagnose_raw_file(path, msg)}; {_RAW_FIX}') from err
    except ValueError as err:
        if isinstance(err, RawReadError):
            raise
        raise RawReadError(f'{path}: {err}') from err


def _rationals(values: Sequence[float], denominator: int = 1000000) -> Tuple[int, ...]:
    out = []
    for v in values:
        frac = Fraction(float(v)).limit_denominator(denominator)
        out += [frac.numerator, frac.denominator]
    return tuple(out)


def write_dng(path: Union[str, os.PathLike], mosaic: np.ndarray, pattern: str,
              black_level: Union[float, Sequence[float]], white_level: int,
              as_shot_neutral: Optional[Sequence[float]] = None,
              color_matrix: Optional[np.ndarray] = None,
              camera_name: str = 'mmzoom synthetic') -> None:
    """Write a Bayer mosaic as a DNG file that rawpy/LibRaw decodes.

    Args:
        path: output file (``.dng`` by convention).
        mosaic: (H, W) uint16 raw digital numbers (black level included), H and W even and at
            least 22 (LibRaw takes smaller files for non-RAW).
        pattern: CFA pattern of ``mosaic``, one of :data:`~mmzoom.raw.bayer.BAYER_PATTERNS`.
        black_level: one value, or four for the 2x2 tile row-major (DNG BlackLevel with
            BlackLevelRepeatDim 2x2).
        white_level: DNG WhiteLevel, e.g. 4095 for 12 bit or 16383 for 14 bit.
        as_shot_neutral: camera white balance as the DNG AsShotNeutral (the camera-RGB
            coordinates of a neutral: 1/gain per R, G, B). Omitted if None.
        color_matrix: 3x3 XYZ -> camera matrix (DNG ColorMatrix1, D65). Default
            :data:`XYZ_TO_LINEAR_SRGB`, i.e. camera RGB is linear sRGB.
        camera_name: DNG UniqueCameraModel / TIFF Make and Model.
    """
    import tifffile

    mosaic = np.asarray(mosaic)
    if mosaic.ndim != 2 or mosaic.dtype != np.uint16:
        raise ValueError(f'write_dng needs a 2-D uint16 mosaic, got {mosaic.dtype} {mosaic.shape}')
    if mosaic.shape[0] % 2 or mosaic.shape[1] % 2:
        raise ValueError(f'write_dng needs an even-sized mosaic, got {mosaic.shape}')
    if min(mosaic.shape) < _LIBRAW_MIN_SIDE:
        raise ValueError(f'LibRaw refuses RAW images under {_LIBRAW_MIN_SIDE} px a side; got '
                         f'{mosaic.shape}')
    black = np.broadcast_to(np.asarray(black_level, dtype=np.float64), (4, ))
    if not 0 < int(white_level) <= 65535 or black.max() >= white_level:
        raise ValueError(f'invalid levels: black {black.tolist()}, white {white_level}')
    matrix = XYZ_TO_LINEAR_SRGB if color_matrix is None else np.asarray(color_matrix)
    black_int = bool(np.all(black == np.round(black)))
    tags = [
        (271, 's', 0, camera_name, True),  # Make
        (272, 's', 0, camera_name, True),  # Model
        (33421, 'H', 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, 'B', 4, dng_cfa_codes(pattern), True),  # CFAPattern
        (50706, 'B', 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, 'B', 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, 's', 0, camera_name, True),  # UniqueCameraModel
        (50710, 'B', 3, (0, 1, 2), True),  # CFAPlaneColor: R, G, B
        (50713, 'H', 2, (2, 2), True),  # BlackLevelRepeatDim
        (50714, 'H', 4, tuple(int(b) for b in black), True) if black_int else
        (50714, '2I', 4, _rationals(black), True),  # BlackLevel
        (50717, 'H', 1, int(white_level), True),  # WhiteLevel
        (50721, '2i', 9, _rationals(matrix.ravel()), True),  # ColorMatrix1
        (50778, 'H', 1, 21, True),  # CalibrationIlluminant1: D65
    ]
    if as_shot_neutral is not None:
        tags.append((50728, '2I', 3, _rationals(as_shot_neutral), True))  # AsShotNeutral
    os.makedirs(osp.dirname(osp.abspath(os.fspath(path))), exist_ok=True)
    # photometric 32803 = CFA; LibRaw needs the CFA tags plus DNGVersion to take the file as DNG.
    tifffile.imwrite(os.fspath(path), mosaic, photometric=32803, extratags=tags)

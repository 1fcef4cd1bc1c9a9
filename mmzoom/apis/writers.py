"""Image files written progressively, band by band, so a zoomed frame never sits in memory whole.

A 4x zoom of a 42 MP frame is a 675 MP image (4 GB as 16-bit RGB). Tiles arrive in row-major
order; :func:`bands_from_tiles` collects one row of tiles (a *band*) and :func:`write_image`
pulls the bands into the file, so the encoder drives the computation:

- TIFF (``.tif``/``.tiff``, 8 or 16 bit): tiled BigTIFF via ``tifffile``, zlib-compressed
  256 x 256 tiles;
- PNG (``.png``, 8 or 16 bit): ``pypng``, rows streamed into the zlib stream;
- JPEG (``.jpg``/``.jpeg``, 8 bit only): no streaming JPEG encoder exists in this stack, so the
  8-bit image is held in memory (3 bytes per output pixel) and written by OpenCV at the end.
"""
import os
import os.path as osp
from typing import Iterator, Optional, Tuple

import numpy as np

#: extension -> (format name, bit depths it can hold, default bit depth)
FORMATS = {
    '.png': ('PNG', (8, 16), 8),
    '.tif': ('TIFF', (8, 16), 16),
    '.tiff': ('TIFF', (8, 16), 16),
    '.jpg': ('JPEG', (8, ), 8),
    '.jpeg': ('JPEG', (8, ), 8),
}
#: JPEG's largest side (libjpeg's limit).
JPEG_MAX_SIDE = 65500


class OutputError(ValueError):
    """An output path or depth that cannot be written (message says why)."""


def output_format(path: str, bits: Optional[int] = None) -> Tuple[str, int]:
    """(format, bit depth) for ``path``, from its extension and an optional depth."""
    ext = osp.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise OutputError(f'cannot write {path!r}: the output must end in '
                          f'{", ".join(sorted(FORMATS))}')
    name, depths, default = FORMATS[ext]
    bits = default if bits is None else bits
    if bits not in depths:
        raise OutputError(f'{name} cannot hold {bits}-bit images ({path}); use .png or .tif '
                          f'for 16 bits' if bits == 16 else f'{bits}-bit output is not supported')
    return name, bits


def quantise(rgb: np.ndarray, bits: int) -> np.ndarray:
    """0..255 float RGB -> uint8 or uint16 (rounded, clipped)."""
    peak = 255.0 if bits == 8 else 65535.0
    scaled = rgb * np.float32(peak / 255.0) if bits == 16 else rgb
    return np.clip(np.rint(scaled), 0, peak).astype(np.uint8 if bits == 8 else np.uint16)


#: TIFF tile side (a multiple of 16, as TIFF requires).
TIFF_TILE = 256


def _rows_of(bands: Iterator[np.ndarray], rows: int) -> Iterator[np.ndarray]:
    """The rows of ``bands`` regrouped into chunks of exactly ``rows`` rows (the last shorter)."""
    pending: list = []
    count = 0
    for band in bands:
        pending.append(band)
        count += band.shape[0]
        while count >= rows:
            joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
            yield joined[:rows]
            pending, count = [joined[rows:]], count - rows
    if count:
        yield np.concatenate(pending)


def _tiff_tiles(bands: Iterator[np.ndarray], width: int, side: int) -> Iterator[np.ndarray]:
    for chunk in _rows_of(bands, side):
        if chunk.shape[0] < side or width % side:
            padded = np.zeros((side, -(-width // side) * side, 3), chunk.dtype)
            padded[:chunk.shape[0], :width] = chunk
            chunk = padded
        for x in range(0, width, side):
            yield chunk[:, x:x + side]


def check_output(path: str, height: int, width: int, bits: int) -> Tuple[str, int]:
    """(format, bits) for an image of this size at ``path``, or :class:`OutputError`."""
    name, bits = output_format(path, bits)
    if name == 'JPEG' and max(height, width) > JPEG_MAX_SIDE:
        raise OutputError(f'JPEG cannot hold {width}x{height} px (at most {JPEG_MAX_SIDE} per '
                          'side); use .png or .tif')
    return name, bits


def bands_from_tiles(tiles: Iterator[Tuple[int, int, np.ndarray]],
                     width: int) -> Iterator[np.ndarray]:
    """Join ``(y, x, tile)`` tiles that come in row-major order into bands of whole rows."""
    band, band_y, filled = None, 0, 0
    for y, x, tile in tiles:
        h, w = tile.shape[:2]
        if band is None:
            if y != band_y:
                raise ValueError(f'tiles must come in row-major order: expected a band at row '
                                 f'{band_y}, got {y}')
            band = np.empty((h, width) + tile.shape[2:], tile.dtype)
        band[:, x:x + w] = tile
        filled += w
        if filled == width:
            yield band
            band, band_y, filled = None, band_y + h, 0
    if band is not None:
        raise ValueError(f'the last band ends at column {filled} of {width}')


def write_image(path: str, height: int, width: int, bits: int,
                bands: Iterator[np.ndarray]) -> None:
    """Write the (height, width, 3) RGB image that ``bands`` yields, top to bottom.

    The file is written under ``<name>.partial<ext>`` and renamed when complete, so an
    interrupted run leaves no truncated image under the requested name.
    """
    name, bits = check_output(path, height, width, bits)
    dtype = np.uint8 if bits == 8 else np.uint16
    root, ext = osp.splitext(path)
    tmp = f'{root}.partial{ext}'
    rows_written = [0]

    def counted(it: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for band in it:
            if band.dtype != dtype or band.shape[1:] != (width, 3):
                raise ValueError(f'band of {band.shape} {band.dtype}, expected (h, {width}, 3) '
                                 f'{np.dtype(dtype)}')
            rows_written[0] += band.shape[0]
            yield band

    try:
        if name == 'TIFF':
            import tifffile
            with tifffile.TiffWriter(tmp, bigtiff=True) as tif:
                # tifffile takes an iterator of tiles in row-major order.
                tif.write(_tiff_tiles(counted(bands), width, TIFF_TILE), shape=(height, width, 3),
                          dtype=dtype, photometric='rgb', compression='zlib',
                          tile=(TIFF_TILE, TIFF_TILE))
        elif name == 'PNG':
            import png

            def rows() -> Iterator[bytes]:
                for band in counted(bands):
                    for row in (band.astype('>u2') if bits == 16 else band):
                        yield row.tobytes()

            with open(tmp, 'wb') as f:
                png.Writer(width, height, greyscale=False, bitdepth=bits).write_packed(f, rows())
        else:
            import cv2
            whole = np.empty((height, width, 3), dtype)
            for band in counted(bands):
                whole[rows_written[0] - band.shape[0]:rows_written[0]] = band
            if not cv2.imwrite(tmp, np.ascontiguousarray(whole[..., ::-1])):
                raise OutputError(f'OpenCV could not write {path}')
        if rows_written[0] != height:
            raise ValueError(f'image incomplete: {rows_written[0]} of {height} rows')
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)

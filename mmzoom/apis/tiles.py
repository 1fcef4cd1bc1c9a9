"""Tile plans and regions for whole-image inference in bounded memory.

A tiled run splits the input grid into *cores* that partition it, computes each core from a
larger *region* (the core plus a halo, clipped to the image) and keeps only the core. Regions are
clipped at the true image border, so a network's zero padding falls where the whole-image run
puts it; at a tile border the halo absorbs the difference.
"""
import math
from typing import Iterator, List, NamedTuple, Optional, Tuple

from torch import Tensor, nn


class TileError(ValueError):
    """A tile configuration that cannot work for this model or image (message says why)."""


class Region(NamedTuple):
    """Rows ``[y0, y1)`` and columns ``[x0, x1)`` of an image grid."""
    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    def expand(self, halo: int, frame: Tuple[int, int]) -> 'Region':
        """This region grown by ``halo`` on every side, clipped to an image of size ``frame``."""
        return Region(max(0, self.y0 - halo), min(frame[0], self.y1 + halo),
                      max(0, self.x0 - halo), min(frame[1], self.x1 + halo))

    def scaled(self, factor: int) -> 'Region':
        return Region(self.y0 * factor, self.y1 * factor, self.x0 * factor, self.x1 * factor)

    def mirrored(self, frame: Tuple[int, int], rows: bool, cols: bool) -> 'Region':
        """The positions ``(H - 1 - y, W - 1 - x)`` of this region, for mirrored axes."""
        h, w = frame
        y0, y1 = (h - self.y1, h - self.y0) if rows else (self.y0, self.y1)
        x0, x1 = (w - self.x1, w - self.x0) if cols else (self.x0, self.x1)
        return Region(y0, y1, x0, x1)

    def take(self, t: Tensor) -> Tensor:
        """``t[..., y0:y1, x0:x1]`` for ``t`` on the image grid."""
        return t[..., self.y0:self.y1, self.x0:self.x1]

    def within(self, outer: 'Region', t: Tensor) -> Tensor:
        """This region of ``t``, a tensor that holds ``outer``."""
        return t[..., self.y0 - outer.y0:self.y1 - outer.y0, self.x0 - outer.x0:self.x1 - outer.x0]


def plan_tiles(height: int, width: int, size: int) -> List[Region]:
    """Cores of ``size`` x ``size`` (smaller at the bottom and right) in row-major order."""
    return [Region(y, min(y + size, height), x, min(x + size, width))
            for y in range(0, height, size) for x in range(0, width, size)]


def round_up(value: float, multiple: int) -> int:
    return int(math.ceil(value / multiple)) * multiple


def conv_radius(conv: nn.Conv2d) -> int:
    """How far (in its own grid) a stride-1 convolution's output depends on its input."""
    kh, kw = conv.kernel_size
    dh, dw = conv.dilation
    return max((kh // 2) * dh, (kw // 2) * dw)


def chain_radius(modules) -> int:
    """Summed radius of the convolutions of a chain of layers on one grid (residual additions
    do not grow it)."""
    return sum(conv_radius(m) for m in modules if isinstance(m, nn.Conv2d))


class TileSpec(NamedTuple):
    """A parsed ``test_cfg.tile``: core ``size`` on the input grid, ``overlap`` (halo) or None
    for a model that derives its own."""
    size: int
    overlap: Optional[int] = None


def parse_tile_cfg(tile, default: Optional[TileSpec], where: str = 'test_cfg.tile',
                   allow_overlap: bool = True) -> Optional[TileSpec]:
    """Read a tile setting: ``None``/``0`` (whole image), an int size, or
    ``dict(size=..., overlap=...)``; ``'auto'`` takes ``default``."""
    if isinstance(tile, str) and tile == 'auto':
        return default
    if tile is None or (isinstance(tile, int) and not isinstance(tile, bool) and tile == 0):
        return None
    if isinstance(tile, int) and not isinstance(tile, bool):
        tile = dict(size=tile)
    if not isinstance(tile, dict):
        raise TileError(f'{where} must be None, an int size or dict(size=..., overlap=...), '
                        f'got {tile!r}')
    unknown = set(tile) - {'size', 'overlap'}
    if unknown:
        raise TileError(f'{where} has unknown keys {sorted(unknown)}; allowed: size, overlap')
    size = tile.get('size', default.size if default else None)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise TileError(f'{where}.size must be an int >= 0 (0 = whole image), got {size!r}')
    if size == 0:
        return None
    overlap = tile.get('overlap')
    if overlap is not None:
        if not allow_overlap:
            raise TileError(f'{where}.overlap is not used by this model: its halo is derived '
                            'from the network so that tiles are exact; set only size')
        if not isinstance(overlap, int) or isinstance(overlap, bool) or overlap < 0:
            raise TileError(f'{where}.overlap must be an int >= 0, got {overlap!r}')
    return TileSpec(size, overlap)


def iter_with_progress(items: List, show: bool, desc: str = '', unit: str = 'tile') -> Iterator:
    """``items``, with a progress bar (count, rate, ETA) on stderr when ``show``."""
    if not show or len(items) < 2:
        yield from items
        return
    from tqdm import tqdm
    yield from tqdm(items, desc=desc or None, unit=unit, dynamic_ncols=True, smoothing=0.1)

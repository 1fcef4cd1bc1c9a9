"""Run a trained mmzoom/MMagic SR model on a whole image, tile by tile, as 0..255 RGB tiles.

Used by ``tools/infer.py`` (which streams the tiles into a file) and by the benchmark. SDAN
models go through the exact :class:`~mmzoom.apis.sdan_tiling.SDANTiler`; other MMagic SR models
(``BaseEditModel`` subclasses such as RNAN, EDSR) through :func:`~mmzoom.apis.local_tiling.
local_tiles` with their ``test_cfg.tile`` overlap.
"""
import os
from typing import Iterator, NamedTuple, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from .local_tiling import local_tiles
from .sdan_tiling import SDANTiler
from .tiles import Region, TileSpec, plan_tiles

_BYTES = 4  # float32


def current_rss() -> int:
    """Resident memory of this process now, in bytes (Linux; else the peak so far)."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class ZoomPlan(NamedTuple):
    """What a run will do, for the line printed before it starts."""
    in_shape: Tuple[int, int]
    out_shape: Tuple[int, int]
    scale: int
    tile: Optional[TileSpec]
    num_tiles: int
    passes: int
    halo: int
    exact: bool
    working_bytes: int

    def describe(self) -> str:
        (h, w), (oh, ow) = self.in_shape, self.out_shape
        if self.tile is None:
            tiles = 'whole image (no tiling)'
        else:
            rows, cols = -(-h // self.tile.size), -(-w // self.tile.size)
            tiles = (f'{rows}x{cols} = {self.num_tiles} tiles of {self.tile.size} px with '
                     f'{self.halo} px of context, {self.passes} pass'
                     f'{"es" if self.passes > 1 else ""}'
                     f'{"" if self.exact else ", approximate (global context per tile)"}')
        return (f'input {w}x{h} ({h * w / 1e6:.1f} MP) -> output {ow}x{oh} '
                f'({oh * ow / 1e6:.1f} MP, x{self.scale}); {tiles}; expected peak memory about '
                f'{(current_rss() + self.working_bytes) / 2**30:.1f} GB')


def is_sdan(model) -> bool:
    from ..models.editors.sdan import SDAN
    return isinstance(model, SDAN)


def model_scale(model, inputs: Tensor) -> int:
    """The zoom factor, from the generator's attributes or one run on a small crop."""
    value = getattr(model.generator, 'upscale_factor', None)
    if isinstance(value, int):
        return value
    crop = inputs[..., :16, :16]
    with torch.no_grad():
        return model.forward_tensor(crop).size(-1) // crop.size(-1)


def working_bytes(model, tile: Optional[TileSpec], halo: int, in_shape: Tuple[int, int],
                  scale: int) -> int:
    """A coarse estimate of the largest tensors alive at once (not a bound).

    The trunk holds about 4 maps of C channels on the tile with its halo; the upsampler about 3
    maps of C channels on the output grid of the tile (its last conv's input and output, and the
    shuffled copy). Measured peaks of the full SDAN at 4x on CPU were up to 0.5 GB higher
    (allocator slack, the file encoder).
    """
    c = getattr(model.generator, 'mid_channels', None) or 64
    h, w = in_shape
    th = min(h, tile.size) if tile else h
    tw = min(w, tile.size) if tile else w
    region = (th + 2 * halo) * (tw + 2 * halo) if tile else h * w
    tail = th * tw * scale**2 * c * 3
    # A streamed output holds a band of tiles (16-bit RGB) and up to two copies while the
    # writer regroups its rows.
    band = th * scale * w * scale * 3 * 2 * 3
    return int((region * c * 4 + tail) * _BYTES + band)


def plan_zoom(model, inputs: Tensor, tile: Optional[TileSpec]) -> ZoomPlan:
    """The plan for ``inputs`` (N, C, H, W); raises :class:`~mmzoom.apis.TileError` when the
    tile size does not fit the model."""
    h, w = inputs.shape[-2:]
    scale = model_scale(model, inputs)
    if tile is not None and max(h, w) <= tile.size:
        tile = None
    if tile is None:
        num, passes, halo, exact = 1, 1, 0, True
    elif is_sdan(model):
        tiler = SDANTiler(model.generator, tile.size)
        num, passes, halo, exact = len(tiler.plan(h, w)), tiler.num_passes, tiler.halo(), True
    else:
        num, passes, halo = len(plan_tiles(h, w, tile.size)), 1, tile.overlap or 0
        exact = not _has_global_context(model.generator)
    return ZoomPlan((h, w), (h * scale, w * scale), scale, tile, num, passes, halo, exact,
                    working_bytes(model, tile, halo, (h, w), scale))


def _has_global_context(net) -> bool:
    from mmcv.cnn import ContextBlock
    return any(isinstance(m, ContextBlock) for m in net.modules())


def zoom_tiles(model, inputs: Tensor, data_samples, tile: Optional[TileSpec],
               progress: bool = False) -> Iterator[Tuple[Region, Tensor]]:
    """Yield ``(region of the output, (N, C, h, w) 0..255 tile)`` in row-major order.

    Values are the model's de-normalised, clamped predictions (its data preprocessor's
    ``destruct``), in the channel order ``destruct`` gives.
    """
    destruct = model.data_preprocessor.destruct
    h, w = inputs.shape[-2:]
    if tile is not None and max(h, w) <= tile.size:
        tile = None
    if is_sdan(model):
        scale = model.generator.upscale_factor
        if tile is None:
            with torch.no_grad():
                out = model.infer(inputs, data_samples).output
            yield Region(0, h * scale, 0, w * scale), destruct(out, data_samples)
            return
        tiler = SDANTiler(model.generator, tile.size)
        ref = model.reference_fn(inputs, data_samples)
        for core, out in tiler.run(inputs, ref, progress):
            yield core.scaled(scale), destruct(out.output, data_samples)
        return

    def run(x: Tensor) -> Tensor:
        forward = lambda t: model.forward_tensor(t, data_samples)  # noqa: E731
        # SISREditModel's self-ensemble (per tile); MMagic's own editors have none.
        return model.ensembled(forward, x) if hasattr(model, 'ensembled') else forward(x)

    if tile is None:
        with torch.no_grad():
            out = run(inputs)
        yield Region(0, out.size(2), 0, out.size(3)), destruct(out, data_samples)
        return
    for core, out in local_tiles(run, inputs, tile.size, tile.overlap or 0, progress):
        scale = out.size(-1) // core.width
        yield core.scaled(scale), destruct(out, data_samples)


def image_tiles(tiles: Iterator[Tuple[Region, Tensor]], bits: int, bgr: bool = False,
                factors: Optional[np.ndarray] = None) -> Iterator[Tuple[int, int, np.ndarray]]:
    """``(y, x, (h, w, 3) uint8/uint16 RGB)`` of the first image of :func:`zoom_tiles`' tiles,
    ready for :func:`~mmzoom.apis.writers.bands_from_tiles`.

    Args:
        bgr: the tiles are BGR (MMagic's ``destruct`` for inputs that declared their channel
            order), flip them to RGB.
        factors: per-channel (R, G, B) gains to multiply by (white balance), or None.
    """
    from .writers import quantise
    for region, out in tiles:
        rgb = out[0].permute(1, 2, 0).float().cpu().numpy()
        if bgr:
            rgb = rgb[..., ::-1]
        if factors is not None:
            rgb = rgb * factors
        yield region.y0, region.x0, quantise(rgb, bits)

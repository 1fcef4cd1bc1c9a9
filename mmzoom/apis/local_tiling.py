"""Tiled inference of convolutional SR networks whose only spatial context is local.

Each core is computed from the core plus ``overlap`` input pixels on every side (clipped at the
image border, where the network's own padding then applies) and only the core is kept; no
blending. This is exact when ``overlap`` covers the network's receptive field and the network has
no global operation (SRCNN, EDSR, MSRResNet, RDN within their receptive field). RNAN is not such a
network: its GC block pools over the whole image after every residual group, and its receptive
field (about 31 px per group, 620 px for 20 groups) is far wider than any useful overlap; a tiled
RNAN therefore differs from the whole-image run, by the amounts configs/rnan/README.md lists.
"""
from typing import Callable, Iterator, Tuple

import torch
from torch import Tensor

from .tiles import Region, iter_with_progress, plan_tiles


def _scale_of(region: Region, out: Tensor) -> int:
    scale = out.size(-1) // region.width
    if scale < 1 or out.shape[-2:] != (region.height * scale, region.width * scale):
        raise ValueError(f'tiled inference needs an integer zoom: a {region.height}x'
                         f'{region.width} input gave {tuple(out.shape[-2:])}')
    return scale


def local_tiles(fn: Callable[[Tensor], Tensor], inputs: Tensor, size: int, overlap: int,
                progress: bool = False) -> Iterator[Tuple[Region, Tensor]]:
    """Yield ``(core, fn's output on the core)`` in row-major order; ``fn`` maps an (N, C, h, w)
    input to its (N, C', s*h, s*w) output (s found from the first tile)."""
    frame = tuple(inputs.shape[-2:])
    for core in iter_with_progress(plan_tiles(*frame, size), progress, 'zoom'):
        region = core.expand(overlap, frame)
        with torch.no_grad():
            out = fn(region.take(inputs))
        scale = _scale_of(region, out)
        yield core, core.scaled(scale).within(region.scaled(scale), out)


def local_tiled_forward(fn: Callable[[Tensor], Tensor], inputs: Tensor, size: int,
                        overlap: int, progress: bool = False) -> Tensor:
    """``fn(inputs)`` assembled from tiles in memory (see :func:`local_tiles`)."""
    output, scale = None, None
    for core, part in local_tiles(fn, inputs, size, overlap, progress):
        if output is None:
            scale = part.size(-1) // core.width
            output = part.new_empty(part.shape[:2] + (inputs.size(2) * scale,
                                                      inputs.size(3) * scale))
        core.scaled(scale).take(output).copy_(part)
    return output

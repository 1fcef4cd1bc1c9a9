"""Exact tiled inference of :class:`~mmzoom.models.backbones.SDANNet`.

A tile of SDAN is not a small image: three things in the network see the whole frame, and each
is reproduced here rather than approximated.

1. **Cross packing attention** (Sec. 3.2) builds one attention per image from the Gram matrix
   ``E = sum_p x_p x_p^T`` of the packed map (or, for SE channel attention, the channel means).
   Each attention layer of the offset branch gets one pass over the tiles that sums its statistic
   over the cores (in float64), with the attentions before it already fixed; the final pass
   applies the whole image's attentions to every tile. Cores start on multiples of K, so every
   tile packs on the image's packing grid.
2. **The flip-augmented reference** (Table 2 "++ Flip") makes position (y, x) read the reference at
   (H-1-y, x), (y, W-1-x) and (H-1-y, W-1-x) of the whole image: each tile gathers the three
   mirrored regions of the reference (made from the input where the reference is the input's
   own), flips them and concatenates, as the whole-image run's ``flip`` does.
3. **Deformable sampling** reaches as far as the offsets say, which is known only after the
   offset branch: the final pass first computes a tile's offsets, then the features on the
   region they sample (the core, its trunk halo and the largest offset), and runs the
   deformable convolution there.

Halos are derived from the network (the sum of its convolution radii, K - 1 per attention
layer), so they are exact by construction: every layer pads with zeros only at the true image
border (regions are clipped there). Results equal the whole-image run up to float rounding
(tests: relative difference < 1e-4 for every Table 2 row, RAW and RGB, 4x and 8x).

Cost: the offset branch (3 convolutions) runs once per attention layer more than the whole-image
run, and the trunk on the halo; memory is that of one tile, whatever the image size.
"""
import math
from typing import Callable, Iterator, List, Optional, Tuple

import torch
from torch import Tensor, nn

from ..models.backbones.sdan_net import SDANNet, SDANOutput
from ..models.layers.cross_packing_attention import CrossPackingAttention
from .tiles import (Region, TileError, chain_radius, iter_with_progress, plan_tiles,
                    round_up)

#: ``reference(region) -> (N, C, h, w)``: the reference Y' on any region of the input grid.
ReferenceFn = Callable[[Region], Tensor]


class TensorReference:
    """A reference given as a whole tensor (the oracle, or a user's reference image)."""

    def __init__(self, ref: Tensor) -> None:
        self.ref = ref

    def __call__(self, region: Region) -> Tensor:
        return region.take(self.ref)


class LocalReference:
    """A reference made from the input by a local operation (SDAN's self reference).

    ``make(x)`` is evaluated on the region plus ``radius`` pixels, starting on an even row and
    column so that a Bayer mosaic keeps its phase, and cropped to the region.
    """

    def __init__(self, inputs: Tensor, make: Callable[[Tensor], Tensor], radius: int = 2) -> None:
        self.inputs = inputs
        self.make = make
        self.radius = radius

    def __call__(self, region: Region) -> Tensor:
        frame = tuple(self.inputs.shape[-2:])
        outer = region.expand(self.radius, frame)
        # Even start and size: the mosaic keeps its phase and packs into 2 x 2 tiles.
        outer = Region(outer.y0 // 2 * 2, min(frame[0], round_up(outer.y1, 2)),
                       outer.x0 // 2 * 2, min(frame[1], round_up(outer.x1, 2)))
        return region.within(outer, self.make(outer.take(self.inputs)))


def tile_grid(net: SDANNet) -> int:
    """The grid tile origins and sizes must sit on: the packing sizes K of the network's
    attention and 2 (the Bayer phase)."""
    return math.lcm(2, *(m.pack_size for m in net.align.offset_conv
                         if isinstance(m, CrossPackingAttention)))


class TorchStages:
    """The pieces of an :class:`SDANNet` a tiled run calls, as its PyTorch modules.

    The tiler never calls the network's modules itself, only these five pieces, so another
    runtime can take their place: :class:`mmzoom.apis.onnx_runtime.OrtStages` runs the same
    pieces exported to ONNX (:func:`mmzoom.apis.onnx_export.stage_modules`).

    - ``offset(0, x, ref)``: conv_first and ref_conv, concatenated, then the offset branch up to
      its first attention (or to the offsets when it has none); ``ref`` is Y' with its flips
      when the network flips it.
    - ``offset(j, feat, context)``, j >= 1: attention j - 1 applied with the given whole-image
      ``context``, then the branch up to attention j (or to the offsets).
    - ``context(j, stats)``: attention j's whole-image context from its summed statistics.
    - ``align(x, offset)``: ReLU(DCN(conv_first(x), offset)), the aligned features F_X'.
    - ``body(aligned)``: (X', the trunk's output with the aligned features added).
    - ``tail(feat)``: the upsampler and last convolution, the zoomed image.
    """

    def __init__(self, net: SDANNet) -> None:
        self.net = net
        self.segments: List[List[nn.Module]] = [[]]
        self.attentions: List[CrossPackingAttention] = []
        for m in net.align.offset_conv:
            if isinstance(m, CrossPackingAttention):
                self.attentions.append(m)
                self.segments.append([])
            else:
                self.segments[-1].append(m)

    def offset(self, index: int, first: Tensor, second: Tensor) -> Tensor:
        net = self.net
        if index == 0:
            out = torch.cat([net.conv_first(first), net.align.ref_conv(second)], 1)
        else:
            out = self.attentions[index - 1](first, context=second)
        for m in self.segments[index]:
            out = m(out)
        return out

    def context(self, index: int, stats: Tensor, frame: Tuple[int, int]) -> Tensor:
        return self.attentions[index].context_from_stats(stats, *frame)

    def align(self, x: Tensor, offset: Tensor) -> Tensor:
        return torch.relu_(self.net.align.dcn(self.net.conv_first(x), offset))

    def body(self, aligned: Tensor) -> Tuple[Tensor, Tensor]:
        net = self.net
        return net.align.conv_aligned(aligned), aligned + net.conv_after_body(net.body(aligned))

    def tail(self, feat: Tensor) -> Tensor:
        return self.net.conv_last(self.net.upsample(feat))


class SDANTiler:
    """Runs an :class:`SDANNet` tile by tile with the whole image's result (module docstring).

    Args:
        net (SDANNet): the generator, in eval mode; or a runner of an exported copy that gives
            the same network (its architecture, for the tile geometry) as ``net.net`` and its
            pieces as ``net.stages`` (:class:`mmzoom.apis.onnx_runtime.OrtSDANGenerator`).
        size (int): core side on the input grid; a multiple of ``grid`` (the packing size K and
            2, the Bayer phase).

    Shapes:
        inputs: (N, in_channels, H, W), reference(region): (N, out_channels, h, w) ->
        per core: :class:`SDANOutput` of that core.
    """

    def __init__(self, net: SDANNet, size: int) -> None:
        self.stages = getattr(net, 'stages', None) or TorchStages(net)
        net = getattr(net, 'net', net)
        self.net = net
        align = net.align
        self.attentions: List[CrossPackingAttention] = [
            m for m in align.offset_conv if isinstance(m, CrossPackingAttention)]
        self.grid = tile_grid(net)
        if not isinstance(size, int) or size < self.grid or size % self.grid:
            packs = ', '.join(str(k) for k in sorted({m.pack_size for m in self.attentions}))
            why = f'the packing size K = {packs} of its attention and ' if packs else ''
            raise TileError(
                f'tile size {size} does not fit this SDAN: it must be a multiple of {self.grid} '
                f'({why}2 for the Bayer phase), e.g. '
                f'{max(self.grid, round_up(size or 1, self.grid))}')
        self.size = size
        # Radii on the input grid: conv_first and ref_conv are one 3x3 conv each; every
        # attention depends on a whole K x K block, i.e. up to K - 1 pixels away.
        radius, self._attention_radius = 1, []
        for m in align.offset_conv:
            if isinstance(m, CrossPackingAttention):
                self._attention_radius.append(radius)
                radius += m.pack_size - 1
            else:
                radius += chain_radius([m])
        self._offset_radius = radius
        self._trunk_radius = chain_radius(net.body.modules()) + chain_radius([net.conv_after_body])
        tail, factor = 0.0, 1
        for m in net.upsample.modules():
            if hasattr(m, 'upsample_conv'):  # mmagic's PixelShufflePack: conv, then shuffle
                tail += chain_radius([m.upsample_conv]) / factor
                factor *= m.scale_factor
        self._tail_radius = int(math.ceil(tail + chain_radius([net.conv_last]) / factor))
        self._kernel_radius = align.dcn.kernel_size // 2

    def halo(self) -> int:
        """Halo of the final pass without the offsets' reach (for plans and estimates)."""
        return self._trunk_radius + self._tail_radius + self._offset_radius

    def plan(self, height: int, width: int) -> List[Region]:
        return plan_tiles(height, width, self.size)

    @property
    def num_passes(self) -> int:
        return len(self.attentions) + 1

    # -- pieces of the network on a region ----------------------------------------------------

    def _expand(self, region: Region, radius: int, frame: Tuple[int, int]) -> Region:
        # A multiple of the grid keeps the region's origin on the packing grid and Bayer phase.
        return region.expand(round_up(radius, self.grid), frame)

    def _reference(self, reference: ReferenceFn, region: Region,
                   frame: Tuple[int, int]) -> Tensor:
        if not self.net.align.flip_ref:
            return reference(region)
        # What torch.cat([ref, ref.flip(2), ref.flip(3), ref.flip((2, 3))]) holds on the region.
        return torch.cat([
            reference(region),
            reference(region.mirrored(frame, True, False)).flip(2),
            reference(region.mirrored(frame, False, True)).flip(3),
            reference(region.mirrored(frame, True, True)).flip((2, 3)),
        ], dim=1)

    def _offset_branch(self, inputs: Tensor, reference: ReferenceFn, region: Region,
                       contexts: List[Tensor], stop: Optional[int] = None) -> Tensor:
        """The offset branch on ``region`` up to (not including) attention ``stop``."""
        frame = tuple(inputs.shape[-2:])
        out = self.stages.offset(0, region.take(inputs), self._reference(reference, region, frame))
        for index in range(len(self.attentions) if stop is None else stop):
            out = self.stages.offset(index + 1, out, contexts[index])
        return out

    @torch.no_grad()
    def _contexts(self, inputs: Tensor, reference: ReferenceFn,
                  cores: List[Region], progress: bool) -> List[Tensor]:
        """The whole image's attention of every attention layer, one pass over tiles each."""
        frame = tuple(inputs.shape[-2:])
        contexts: List[Tensor] = []
        for index, layer in enumerate(self.attentions):
            stats = None
            desc = f'pass {index + 1}/{self.num_passes}: attention statistics'
            for core in iter_with_progress(cores, progress, desc):
                region = self._expand(core, self._attention_radius[index], frame)
                feat = self._offset_branch(inputs, reference, region, contexts, stop=index)
                part = layer.context_stats(core.within(region, feat))
                stats = part if stats is None else stats.add_(part)
            contexts.append(self.stages.context(index, stats, frame))
        return contexts

    @torch.no_grad()
    def _tile(self, inputs: Tensor, reference: ReferenceFn, core: Region,
              contexts: List[Tensor]) -> SDANOutput:
        net, align = self.net, self.net.align
        frame = tuple(inputs.shape[-2:])
        scale = net.upscale_factor
        # Aligned features are needed on the core plus the trunk and tail halo.
        trunk = self._expand(core, self._trunk_radius + self._tail_radius, frame)
        outer = self._expand(trunk, self._offset_radius, frame)
        offset = trunk.within(outer, self._offset_branch(inputs, reference, outer, contexts))
        # The deformable conv reads features up to max|offset| + the kernel radius away, and the
        # bilinear sample one pixel more; one more keeps conv_first's tile padding out of reach.
        reach = int(math.ceil(offset.abs().max().item())) if offset.numel() else 0
        sampled = trunk.expand(reach + self._kernel_radius + 1, frame)
        offset_full = offset.new_zeros(offset.shape[:2] + (sampled.height, sampled.width))
        trunk.within(sampled, offset_full).copy_(offset)
        aligned = trunk.within(sampled, self.stages.align(sampled.take(inputs), offset_full))
        del offset_full
        aligned_lr, feat = self.stages.body(aligned)
        aligned_lr = core.within(trunk, aligned_lr)
        del aligned
        tail = core.expand(self._tail_radius, frame)
        output = self.stages.tail(tail.within(trunk, feat))
        del feat
        output = core.scaled(scale).within(tail.scaled(scale), output)
        offset = core.within(trunk, offset)
        mask_lr = align.mask(offset, origin=(core.y0, core.x0), frame=frame)
        mask_hr = mask_lr.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
        return SDANOutput(output, aligned_lr, mask_lr, mask_hr, offset)

    def run(self, inputs: Tensor, reference: ReferenceFn,
            progress: bool = False) -> Iterator[Tuple[Region, SDANOutput]]:
        """Yield ``(core, SDANOutput of the core)`` in row-major order of the cores.

        Args:
            inputs (Tensor): (N, in_channels, H, W), normalised as the model expects.
            reference (ReferenceFn): Y' on any region of the input grid.
            progress (bool): progress bars over the tiles of each pass. Default: False.
        """
        net = self.net
        if inputs.dim() != 4 or inputs.size(1) != net.in_channels:
            raise ValueError(f'SDANTiler expects inputs of shape (N, {net.in_channels}, H, W), '
                             f'got {tuple(inputs.shape)}')
        cores = self.plan(*inputs.shape[-2:])
        contexts = self._contexts(inputs, reference, cores, progress)
        desc = f'pass {self.num_passes}/{self.num_passes}: zoom'
        for core in iter_with_progress(cores, progress, desc):
            yield core, self._tile(inputs, reference, core, contexts)


def assemble(tiles: Iterator[Tuple[Region, SDANOutput]], batch: int, height: int, width: int,
             scale: int, out_channels: int, offset_channels: int,
             device: torch.device, dtype: torch.dtype) -> SDANOutput:
    """Collect the tiles of :meth:`SDANTiler.run` into whole-image tensors (in memory)."""
    def empty(c: int, s: int) -> Tensor:
        return torch.empty(batch, c, height * s, width * s, device=device, dtype=dtype)

    out = SDANOutput(empty(out_channels, scale), empty(out_channels, 1), empty(1, 1),
                     empty(1, scale), empty(offset_channels, 1))
    for core, tile in tiles:
        for whole, part, s in zip(out, tile, (scale, 1, 1, scale, 1)):
            core.scaled(s).take(whole).copy_(part)
    return out


def sdan_tiled_forward(net: SDANNet, inputs: Tensor, reference: ReferenceFn, size: int,
                       progress: bool = False) -> SDANOutput:
    """``net(inputs, ref)`` computed tile by tile (same values, memory of a tile plus the
    output)."""
    tiler = SDANTiler(net, size)
    net = tiler.net  # the network itself when ``net`` runs an exported copy
    n, _, h, w = inputs.shape
    return assemble(tiler.run(inputs, reference, progress), n, h, w, net.upscale_factor,
                    net.out_channels, net.align.dcn.offset_channels, inputs.device,
                    inputs.dtype)

"""Export of mmzoom's generators to ONNX with standard operators only.

SDAN exports without a custom operator because its squared deformable convolution has an exact
dense-convolution + bilinear-warp form (``SquaredDeformConv2d`` backend ``'fast'``: ``Conv`` and
``GridSample``); the export switches a model trained with the ``'mmcv'`` backend to it (same
weights, same values). The per-point DCN of Table 2's "DCN" row has no such form and needs
mmcv's operator, so it is refused (:class:`ExportError`). RNAN is convolutions, sigmoids and
the global-context pooling: it exports as it is.

What a graph takes and gives is the generator's own tensors: the input normalised as the
model's data preprocessor normalises it, and normalised outputs. Everything before and after
(decoding, the self reference of SDAN, de-normalisation, white balance) stays in the runner
(:mod:`mmzoom.apis.onnx_runtime`), shared with the PyTorch path, so both give the same image.

Files written for ``OUT.onnx``:

- ``OUT.onnx``: the whole network. SDAN: inputs ``x`` (N, in, h, w) and ``ref`` (N, out, h, w),
  the reference Y' (the self reference is computed by the runner, as in PyTorch); outputs
  ``output`` (N, out, s*h, s*w), ``aligned_lr`` (N, out, h, w), ``mask_lr`` (N, 1, h, w) and
  ``offset`` (N, 2, h, w). RNAN and other single-input SR networks: ``x`` -> ``output``.
  Height and width are dynamic (``--dynamic`` adds the batch).
- SDAN only, ``OUT.tiles/<stage>.onnx``: the pieces of the exact tiled run
  (:class:`mmzoom.apis.sdan_tiling.TorchStages`), so ONNX Runtime zooms a whole camera frame in
  the memory of a tile with the whole image's attention.

Every file carries in its metadata the generator config it was exported from
(``mmzoom.generator``), checked against the config when it is run.
"""
import copy
import json
import os
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ..models.backbones.sdan_net import SDANNet
from ..models.layers.squared_dcn import SquaredDeformConv2d
from .sdan_tiling import TorchStages

#: The opset the exports are made and tested with (GridSample needs 16).
DEFAULT_OPSET = 17
MIN_OPSET = 16
META_GENERATOR = 'mmzoom.generator'
META_STAGES = 'mmzoom.stages'


class ExportError(ValueError):
    """A model that cannot be exported with standard ONNX operators (one line)."""


def tiles_dir(path: str) -> str:
    """Folder of the stage graphs that belong to the whole-network file ``path``."""
    root, ext = osp.splitext(path)
    return (root if ext.lower() == '.onnx' else path) + '.tiles'


def check_exportable(generator: nn.Module) -> None:
    """Raise :class:`ExportError` when the network holds a deformable convolution with no
    standard ONNX form (the per-point DCN of the "DCN" row needs mmcv's operator)."""
    for name, m in generator.named_modules():
        if not isinstance(m, SquaredDeformConv2d) and 'DeformConv' in type(m).__name__:
            raise ExportError(
                f'{type(generator).__name__} cannot be exported to ONNX: its {name} is a per-point '
                f'deformable convolution (Table 2 row "DCN"), which needs mmcv\'s deform_conv2d '
                'operator (no standard ONNX form); the squared-DCN configs export')


def exportable_generator(generator: nn.Module) -> nn.Module:
    """A copy of the generator in eval mode, its squared DCNs switched to the exact ``'fast'``
    form (the same weights: dense conv + GridSample); the caller's network keeps its backend.

    Raises:
        ExportError: see :func:`check_exportable`.
    """
    check_exportable(generator)
    generator = copy.deepcopy(generator)
    for m in generator.modules():
        if isinstance(m, SquaredDeformConv2d):
            m.backend = 'fast'
    return generator.eval()


class _SDANGraph(nn.Module):
    """SDANNet with its outputs as a tuple (ONNX outputs are flat)."""

    def __init__(self, net: SDANNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor, ref: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        out = self.net(x, ref)
        return out.output, out.aligned_lr, out.mask_lr, out.offset


class _Stage(nn.Module):
    """One method of :class:`TorchStages` as a module (what the exporter traces)."""

    def __init__(self, stages: TorchStages, method: str, index: Optional[int] = None) -> None:
        super().__init__()
        self.net = stages.net  # registers the weights
        self.stages, self.method, self.index = stages, method, index

    def forward(self, *args: Tensor):
        fn = getattr(self.stages, self.method)
        if self.method == 'offset':
            return fn(self.index, *args)
        if self.method == 'context':
            stats, height, width = args
            return fn(self.index, stats, (height, width))
        return fn(*args)


class GraphSpec(NamedTuple):
    """What to trace: a module, example inputs and the names and dynamic axes of the graph."""
    module: nn.Module
    inputs: Tuple[Tensor, ...]
    input_names: List[str]
    output_names: List[str]
    dynamic_axes: Dict[str, Dict[int, str]]


def _image_axes(names: Sequence[str], batch: bool, big: Sequence[str] = ()) -> dict:
    axes = {}
    for name in names:
        suffix = '_out' if name in big else ''
        axes[name] = {2: 'height' + suffix, 3: 'width' + suffix}
        if batch:
            axes[name][0] = 'batch'
    return axes


def graph_specs(generator: nn.Module, shape: Tuple[int, int],
                dynamic_batch: bool = False) -> Dict[str, GraphSpec]:
    """The graphs of ``generator``: ``'model'`` (the whole network) and, for SDAN, one per
    tiling stage (``'offset0'``, ``'context0'``, ..., ``'align'``, ``'body'``, ``'tail'``).

    Args:
        shape: (h, w) of the example input on the input grid (the traced shapes; every graph
            takes other heights and widths).
    """
    h, w = shape
    gen = exportable_generator(generator)
    if not isinstance(gen, SDANNet):
        c = input_channels(gen)
        return dict(model=GraphSpec(gen, (torch.rand(1, c, h, w),), ['x'], ['output'],
                                    _image_axes(['x', 'output'], dynamic_batch, ['output'])))
    x = torch.rand(1, gen.in_channels, h, w)
    ref = torch.rand(1, gen.out_channels, h, w)
    outs = ['output', 'aligned_lr', 'mask_lr', 'offset']
    specs = dict(model=GraphSpec(_SDANGraph(gen), (x, ref), ['x', 'ref'], outs,
                                 _image_axes(['x', 'ref'] + outs, dynamic_batch, ['output'])))
    stages = TorchStages(gen)
    with torch.no_grad():
        ref_in = torch.cat([ref] * (4 if gen.align.flip_ref else 1), 1)
        feat = stages.offset(0, x, ref_in)
        specs['offset0'] = GraphSpec(_Stage(stages, 'offset', 0), (x, ref_in), ['x', 'ref'],
                                     ['feat'], _image_axes(['x', 'ref', 'feat'], dynamic_batch))
        for j, layer in enumerate(stages.attentions):
            stats = layer.context_stats(feat)
            size = (torch.tensor(h), torch.tensor(w))
            axes = {'stats': {0: 'batch'}, 'context': {0: 'batch'}} if dynamic_batch else {}
            specs[f'context{j}'] = GraphSpec(_Stage(stages, 'context', j), (stats, *size),
                                             ['stats', 'height', 'width'], ['context'], axes)
            context = layer.context_from_stats(stats, h, w)
            axes = _image_axes(['feat', 'out'], dynamic_batch)
            if dynamic_batch:
                axes['context'] = {0: 'batch'}
            specs[f'offset{j + 1}'] = GraphSpec(_Stage(stages, 'offset', j + 1), (feat, context),
                                                ['feat', 'context'], ['out'], axes)
            feat = stages.offset(j + 1, feat, context)
        offset = feat
        aligned = stages.align(x, offset)
        specs['align'] = GraphSpec(_Stage(stages, 'align'), (x, offset), ['x', 'offset'],
                                   ['aligned'],
                                   _image_axes(['x', 'offset', 'aligned'], dynamic_batch))
        specs['body'] = GraphSpec(_Stage(stages, 'body'), (aligned,), ['aligned'],
                                  ['aligned_lr', 'feat'],
                                  _image_axes(['aligned', 'aligned_lr', 'feat'], dynamic_batch))
        specs['tail'] = GraphSpec(_Stage(stages, 'tail'), (aligned,), ['feat'], ['output'],
                                  _image_axes(['feat', 'output'], dynamic_batch, ['output']))
    return specs


def input_channels(net: nn.Module) -> int:
    """Input channels of a single-input SR network."""
    value = getattr(net, 'in_channels', None)
    if isinstance(value, int):
        return value
    first = next((m for m in net.modules() if isinstance(m, nn.Conv2d)), None)
    if first is None:
        raise ExportError(f'{type(net).__name__} has no convolution to tell its input channels')
    return first.in_channels


def export_graph(spec: GraphSpec, path: str, opset: int = DEFAULT_OPSET,
                 metadata: Optional[Dict[str, str]] = None) -> None:
    """Trace ``spec`` into ``path`` and write ``metadata`` into the file."""
    import warnings

    import onnx
    if opset < MIN_OPSET:
        raise ExportError(f'opset {opset} is too old: GridSample (the squared DCN) and the '
                          f'exporter need opset {MIN_OPSET} or newer')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter (dynamo=False) is the one tested here; in torch 2.13 it warns
        # that it is deprecated in favour of the dynamo exporter, which is not tested yet.
        warnings.simplefilter('ignore')
        torch.onnx.export(spec.module, spec.inputs, path, dynamo=False, opset_version=opset,
                          input_names=spec.input_names, output_names=spec.output_names,
                          dynamic_axes=spec.dynamic_axes, do_constant_folding=True)
    model = onnx.load(path)
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def export_model(generator: nn.Module, path: str, shape: Tuple[int, int] = (64, 64),
                 opset: int = DEFAULT_OPSET, dynamic_batch: bool = False,
                 generator_cfg: Optional[dict] = None) -> List[str]:
    """Export ``generator`` to ``path`` (and its SDAN tiling stages beside it).

    Returns:
        The files written, the whole network first.
    """
    specs = graph_specs(generator, shape, dynamic_batch)
    meta = {META_GENERATOR: json.dumps(generator_cfg or {}, sort_keys=True, default=str)}
    stages = [name for name in specs if name != 'model']
    written = []
    if stages:
        meta[META_STAGES] = json.dumps(stages)
    export_graph(specs['model'], path, opset, meta)
    written.append(path)
    for name in stages:
        stage_path = osp.join(tiles_dir(path), f'{name}.onnx')
        export_graph(specs[name], stage_path, opset, meta)
        written.append(stage_path)
    return written


"""Running generators exported by :mod:`mmzoom.apis.onnx_export` with ONNX Runtime.

The exported graphs stand in for the generator of a model built from the same config: the
config still gives the pipeline, the normaliser and SDAN's self reference, and for SDAN the
network's architecture, from which the tiler derives its halos (no weights are read from it).
:func:`onnx_generator` returns a module with the generator's interface, so the editor's
inference, :func:`mmzoom.apis.inference.zoom_tiles` and ``tools/infer.py`` run unchanged:

- SDAN: whole-image calls run ``OUT.onnx``; tiled calls run the stage graphs in
  ``OUT.tiles/`` through the same :class:`~mmzoom.apis.sdan_tiling.SDANTiler` (the attention's
  whole-image statistics are summed over tiles by the tiler, as in PyTorch).
- Other SR networks: ``OUT.onnx`` per call (per tile, with the config's tile overlap).
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from ..models.backbones.sdan_net import SDANNet, SDANOutput
from ..models.layers.cross_packing_attention import CrossPackingAttention
from .onnx_export import META_GENERATOR, META_STAGES, tiles_dir


class OnnxModelError(ValueError):
    """An exported file that is missing, unreadable or not the config's generator (one line)."""


def providers_for(device: Optional[str]) -> List[str]:
    """Execution providers for a torch device string: CUDA first on a GPU, else the CPU."""
    import onnxruntime as ort
    available = ort.get_available_providers()
    if device and device.startswith('cuda'):
        wanted = [p for p in ('TensorrtExecutionProvider', 'CUDAExecutionProvider')
                  if p in available]
        if not wanted:
            raise OnnxModelError(f'--device {device}: this onnxruntime has no CUDA execution '
                                 f'provider (it has {", ".join(available)}); install '
                                 'onnxruntime-gpu or run on the CPU')
        return wanted + ['CPUExecutionProvider']
    return ['CPUExecutionProvider']


class OrtGraph:
    """One exported graph: called with torch tensors (by input order or name), returns torch
    tensors on the device of the first input."""

    def __init__(self, path: str, providers: Sequence[str]) -> None:
        import onnxruntime as ort
        if not osp.isfile(path):
            raise OnnxModelError(f'{path} does not exist (export it with '
                                 'tools/deployment/pytorch2onnx.py)')
        options = ort.SessionOptions()
        # ORT's worker threads otherwise spin for a while after each run, taking the cores from
        # the PyTorch work between the calls of a tiled run (4x slower on 2 cores, measured).
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        # Without the arena, memory is returned after each run, as PyTorch returns it: a tiled
        # 512 x 512 full-SDAN run peaked at 2.06 GB instead of 3.54 GB, 11 % slower (measured).
        options.enable_cpu_mem_arena = False
        try:
            self.session = ort.InferenceSession(path, options, providers=list(providers))
        except Exception as err:  # onnxruntime raises its own exception types
            raise OnnxModelError(f'{path} is not a readable ONNX model: '
                                 f'{str(err).splitlines()[0]}') from err
        self.path = path
        self.input_names = [i.name for i in self.session.get_inputs()]
        meta = self.session.get_modelmeta().custom_metadata_map
        self.metadata: Dict[str, str] = dict(meta)

    def __call__(self, **feeds: Tensor) -> List[Tensor]:
        device = next(iter(feeds.values())).device
        # The exporter drops inputs a graph does not use (the image size of a Gram context).
        arrays = {name: np.ascontiguousarray(value.detach().cpu().numpy())
                  for name, value in feeds.items() if name in self.input_names}
        return [torch.from_numpy(out).to(device) for out in self.session.run(None, arrays)]


class OrtStages:
    """:class:`~mmzoom.apis.sdan_tiling.TorchStages`' pieces run from ``OUT.tiles/``."""

    def __init__(self, net: SDANNet, path: str, providers: Sequence[str],
                 names: Sequence[str]) -> None:
        folder = tiles_dir(path)
        num = sum(isinstance(m, CrossPackingAttention) for m in net.align.offset_conv)
        expected = [f'offset{j}' for j in range(num + 1)] + \
            [f'context{j}' for j in range(num)] + ['align', 'body', 'tail']
        if sorted(names) != sorted(expected):
            raise OnnxModelError(f'{path} lists tiling stages {sorted(names)}, but the config\'s '
                                 f'SDAN needs {sorted(expected)}: export it again from this '
                                 'config')
        self.graphs = {name: OrtGraph(osp.join(folder, f'{name}.onnx'), providers)
                       for name in expected}

    def offset(self, index: int, first: Tensor, second: Tensor) -> Tensor:
        graph = self.graphs[f'offset{index}']
        if index == 0:
            return graph(x=first, ref=second)[0]
        return graph(feat=first, context=second)[0]

    def context(self, index: int, stats: Tensor, frame: Tuple[int, int]) -> Tensor:
        height, width = (torch.tensor(v, dtype=torch.int64) for v in frame)
        return self.graphs[f'context{index}'](stats=stats, height=height, width=width)[0]

    def align(self, x: Tensor, offset: Tensor) -> Tensor:
        return self.graphs['align'](x=x, offset=offset)[0]

    def body(self, aligned: Tensor) -> Tuple[Tensor, Tensor]:
        aligned_lr, feat = self.graphs['body'](aligned=aligned)
        return aligned_lr, feat

    def tail(self, feat: Tensor) -> Tensor:
        return self.graphs['tail'](feat=feat)[0]


class OrtSDANGenerator(nn.Module):
    """An exported SDAN with :class:`SDANNet`'s interface: ``forward(x, ref)`` runs
    ``OUT.onnx``; :class:`~mmzoom.apis.sdan_tiling.SDANTiler` runs ``.stages`` with the
    geometry of ``.net`` (the config's network, whose weights are not used)."""

    def __init__(self, net: SDANNet, graph: OrtGraph, providers: Sequence[str]) -> None:
        super().__init__()
        self.graph = graph
        path = graph.path
        names = json.loads(graph.metadata.get(META_STAGES, '[]'))
        self.stages = OrtStages(net, path, providers, names)
        self.net = net
        self.in_channels, self.out_channels = net.in_channels, net.out_channels
        self.upscale_factor = net.upscale_factor

    def forward(self, x: Tensor, ref: Tensor) -> SDANOutput:
        output, aligned_lr, mask_lr, offset = self.graph(x=x, ref=ref)
        s = self.upscale_factor
        mask_hr = mask_lr.repeat_interleave(s, 2).repeat_interleave(s, 3)
        return SDANOutput(output, aligned_lr, mask_lr, mask_hr, offset)


class OrtGenerator(nn.Module):
    """An exported single-input SR network: ``forward(x)`` runs ``OUT.onnx``."""

    def __init__(self, net: nn.Module, graph: OrtGraph, providers: Sequence[str]) -> None:
        super().__init__()
        if graph.input_names != ['x']:
            raise OnnxModelError(f'{graph.path} takes inputs {graph.input_names}, not the single '
                                 "input 'x' of an export of this config's "
                                 f'{type(net).__name__} (tools/deployment/pytorch2onnx.py)')
        self.graph = graph
        for name in ('in_channels', 'out_channels', 'upscale_factor', 'mid_channels'):
            if hasattr(net, name):
                setattr(self, name, getattr(net, name))

    def forward(self, x: Tensor) -> Tensor:
        return self.graph(x=x)[0]


def _differences(exported: dict, config: dict) -> List[str]:
    keys = sorted(set(exported) | set(config))
    return [f'{k} {exported.get(k)!r} in the file, {config.get(k)!r} in the config'
            for k in keys if exported.get(k) != config.get(k)]


def onnx_generator(net: nn.Module, path: str, generator_cfg: Optional[dict] = None,
                   device: Optional[str] = None) -> nn.Module:
    """A module that runs the export ``path`` of ``net`` (the config's generator).

    Raises:
        OnnxModelError: the file is missing or unreadable, or was exported from another
            generator config than ``generator_cfg``.
    """
    providers = providers_for(device)
    wrapper = (OrtSDANGenerator if isinstance(net, SDANNet) else OrtGenerator)
    graph = OrtGraph(path, providers)
    if generator_cfg is not None and META_GENERATOR in graph.metadata:
        exported = json.loads(graph.metadata[META_GENERATOR])
        config = json.loads(json.dumps(generator_cfg, sort_keys=True, default=str))
        diff = _differences(exported, config)
        if diff:
            raise OnnxModelError(f'{path} was exported from another generator than the '
                                 f'config\'s: {"; ".join(diff[:3])}')
    if isinstance(net, SDANNet) and META_STAGES not in graph.metadata:
        raise OnnxModelError(f'{path} has no SDAN tiling stages; export it with '
                             'tools/deployment/pytorch2onnx.py')
    return wrapper(net, graph, providers)

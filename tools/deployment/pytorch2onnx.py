#!/usr/bin/env python
"""Export the generator of a trained model to ONNX (standard operators only) and check it.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT OUT.onnx [--shape H W]
        [--dynamic] [--opset 17] [--cfg-options k=v ...] [--tile 64] [--no-verify]

Writes OUT.onnx (the whole network; height and width dynamic, the batch too with
``--dynamic``) and, for SDAN, OUT.tiles/ (the stages of its exact tiled run; see
mmzoom/apis/onnx_export.py). Each file passes ``onnx.checker``; then ONNX Runtime is run beside
PyTorch on the same random input, at ``--shape`` and at a second size, and on the tiled path
(SDAN), and the largest difference is printed. Exit status 2 when one exceeds 1e-4 of the
output's range. Zoom files with ``tools/infer.py CONFIG OUT.onnx --backend onnxruntime``.

The SDAN configs train with mmcv's deformable convolution; the export uses its exact
dense-conv + warp form with the same weights. The per-point "DCN" row cannot be exported.
"""
import os.path as osp
import sys
import time
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmzoom  # noqa: E402,F401
from mmengine.config import DictAction  # noqa: E402
from mmzoom.utils.checkpoint import (CheckpointMismatch, check_checkpoint_matches,  # noqa: E402
                                     explain_load_error, is_weights_only_error, read_state_dict)
from mmzoom.utils.cli import (CliError, OneLineParser, load_config, require_file,  # noqa: E402
                              run_cli)

TOLERANCE = 1e-4


def parse_args(argv: Optional[List[str]]):
    parser = OneLineParser(description='Export a model\'s generator to ONNX and check it')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out', help='output .onnx file')
    parser.add_argument('--shape', type=int, nargs=2, default=(64, 64), metavar=('H', 'W'),
                        help='input size on the model\'s input grid traced and checked (the '
                        'graph takes any size; default 64 64)')
    parser.add_argument('--dynamic', action='store_true', help='dynamic batch size as well')
    parser.add_argument('--opset', type=int, default=None, help='ONNX opset (default 17)')
    parser.add_argument('--tile', type=int, default=None,
                        help='SDAN: tile size of the tiled check (default: half the shape)')
    parser.add_argument('--no-verify', action='store_true',
                        help='skip the comparison with PyTorch (onnx.checker still runs)')
    parser.add_argument('--force', action='store_true', help='overwrite OUT')
    parser.add_argument('--allow-partial', action='store_true',
                        help='load a checkpoint that does not match the model (matching keys only)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries (e.g. those the checkpoint was trained with)')
    args = parser.parse_args(argv)
    if min(args.shape) < 8:
        parser.error(f'--shape must be at least 8 8, got {args.shape[0]} {args.shape[1]}')
    if not args.out.lower().endswith('.onnx'):
        parser.error(f'OUT must end in .onnx, got {args.out}')
    return args


def build_model(cfg, checkpoint: str, strict: bool = True):
    """The config's model with the checkpoint's weights; refuses a model that cannot export
    before reading the checkpoint."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmagic.registry import MODELS
    from mmzoom.apis.onnx_export import check_exportable
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    model = MODELS.build(cfg.model)
    if getattr(model, 'generator', None) is None:
        raise CliError(f'{type(model).__name__} has no generator to export')
    check_exportable(model.generator)
    read_state_dict(checkpoint)  # a truncated file: one line
    if strict:
        check_checkpoint_matches(model, checkpoint)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent', strict=False)
    return model.eval()


def compare(what: str, want, got, failures: List[str]) -> None:
    """Print the largest difference of ``got`` (ONNX Runtime) from ``want`` (PyTorch); note a
    failure above the tolerance, relative to the largest value."""
    diff = float((want - got).abs().max())
    err = diff / (float(want.abs().max()) or 1.0)
    print(f'{what}: max |ONNX Runtime - PyTorch| = {diff:.3g} ({err:.2g} of the largest value)',
          flush=True)
    if err > TOLERANCE:
        failures.append(f'{what}: {err:.2g}')


def verify(generator, path: str, shape, tile: Optional[int]) -> List[str]:
    """Compare ONNX Runtime with PyTorch; returns the failures (empty when all agree)."""
    import torch
    from mmzoom.apis import TensorReference, sdan_tiled_forward
    from mmzoom.apis.onnx_export import input_channels
    from mmzoom.apis.sdan_tiling import tile_grid
    from mmzoom.apis.onnx_runtime import onnx_generator
    from mmzoom.models.backbones import SDANNet

    failures = []
    ort_gen = onnx_generator(generator, path)
    h, w = shape
    torch.manual_seed(0)
    sdan = isinstance(generator, SDANNet)
    # The traced size and one that K and 2 do not divide (dynamic shapes, CPA padding).
    for size in ((h, w), (h + 6, w + 10) if sdan else (h + 3, w + 5)):
        if sdan:
            x = torch.rand(1, generator.in_channels, *size)
            ref = torch.rand(1, generator.out_channels, *size)
            args = (x, ref)
        else:
            args = (torch.rand(1, input_channels(generator), *size),)
        with torch.no_grad():
            want = generator(*args)
        got = ort_gen(*args)
        pairs = [('output', want.output, got.output), ('aligned_lr', want.aligned_lr,
                                                       got.aligned_lr),
                 ('offset', want.offset, got.offset)] if sdan else [('output', want, got)]
        for name, a, b in pairs:
            compare(f'{size[0]}x{size[1]} {name}', a, b, failures)
    if sdan:
        grid = tile_grid(generator)
        size = tile or max(grid, min(h, w) // 2 // grid * grid)
        x = torch.rand(1, generator.in_channels, h, w)
        ref = TensorReference(torch.rand(1, generator.out_channels, h, w))
        with torch.no_grad():
            want = sdan_tiled_forward(generator, x, ref, size).output
        got = sdan_tiled_forward(ort_gen, x, ref, size).output
        compare(f'{h}x{w} in tiles of {size}', want, got, failures)
    return failures


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    require_file(args.checkpoint, 'checkpoint')
    if osp.exists(args.out) and not args.force:
        raise CliError(f'{args.out} exists; pass --force to overwrite')
    try:
        import onnx
        import onnxruntime
    except ImportError as err:
        raise CliError(f'{err.name} is not installed: pip install -r requirements/deploy.txt '
                       '(bash tools/install_env.sh installs it)') from err
    from mmzoom.apis.onnx_export import DEFAULT_OPSET, ExportError, export_model
    from mmzoom.apis.onnx_runtime import OnnxModelError
    try:
        model = build_model(cfg, args.checkpoint, strict=not args.allow_partial)
    except ExportError as err:
        raise CliError(f'{args.config}: {err}') from err
    except CheckpointMismatch as err:
        raise CliError(f'{args.checkpoint}: {err}') from err
    except Exception as err:
        if is_weights_only_error(err):
            raise CliError(explain_load_error(args.checkpoint, err)) from err
        raise
    generator = model.generator
    opset = args.opset or DEFAULT_OPSET
    start = time.perf_counter()
    try:
        files = export_model(generator, args.out, tuple(args.shape), opset, args.dynamic,
                             cfg.model.get('generator'))
    except ExportError as err:
        raise CliError(f'{args.config}: {err}') from err
    except OSError as err:
        raise CliError(f'cannot write {err.filename or args.out}: {err.strerror}') from err
    print(f'exported {type(generator).__name__} to {len(files)} file(s) in '
          f'{time.perf_counter() - start:.1f} s (opset {opset}, onnx {onnx.__version__}); each '
          'passes onnx.checker:', flush=True)
    for path in files:
        print(f'  {path} ({osp.getsize(path) / 2**20:.1f} MiB)', flush=True)
    if args.no_verify:
        return
    print(f'checking against PyTorch with onnxruntime {onnxruntime.__version__} (CPU):',
          flush=True)
    try:
        failures = verify(generator, args.out, tuple(args.shape), args.tile)
    except OnnxModelError as err:
        raise CliError(str(err)) from err
    if failures:
        raise CliError(f'ONNX Runtime differs from PyTorch by more than {TOLERANCE:g} of the '
                       f'output: {"; ".join(failures)}')
    print(f'ONNX Runtime equals PyTorch within {TOLERANCE:g}', flush=True)


if __name__ == '__main__':
    run_cli(main)

#!/usr/bin/env python
"""Whole-image vs tiled inference: time, input megapixels per second, peak memory, difference.

    python tools/analysis_tools/benchmark_inference.py [--config CONFIG] [--checkpoint CKPT]
        [--sizes 256x256 512x512 1024x1024 2048x2048] [--tile 256] [--whole-max-mp 0.6]
        [--threads N]

Every measurement runs in a fresh process (so peak RSS is that run's alone) on a mosaic (RAW
models) or image (RGB models) made from a real photo at the requested size, with random weights
unless a checkpoint is given (the cost does not depend on the weights; the zero-initialised
global terms, SDAN's attention scale and RNAN's GC output conv, are set non-zero so that the
tiled-vs-whole difference tests them). Modes:

- ``whole``: ``tiles=None``, the network on the whole input (only up to ``--whole-max-mp``);
- ``tiled``: the editor's inference path (``model.infer``, used by tools/test.py), tiles
  assembled in memory;
- ``stream``: tools/infer.py's path, tiles streamed into a 16-bit TIFF (nothing whole in
  memory).

The table gives wall time, input MP/s, peak RSS (and peak CUDA memory on a GPU) and the largest
difference of ``tiled`` from ``whole`` relative to the output's largest value (and the PSNR of
``tiled`` against ``whole`` on that range). The last line extrapolates
the time of a full 42 MP SR-RAW frame (7952x5304) from the largest streamed size.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')
FULL_FRAME = (5304, 7952)


def child(args) -> None:
    """One measurement; prints a JSON line."""
    import resource
    import time

    sys.path.insert(0, ROOT)
    import cv2
    import numpy as np
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    import mmzoom  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmagic.registry import MODELS
    from mmzoom.apis.inference import image_tiles, plan_zoom, zoom_tiles
    from mmzoom.apis.writers import bands_from_tiles, write_image
    from mmzoom.raw.synthetic import load_photos, mosaic_from_rgb

    init_default_scope('mmagic')
    cfg = Config.fromfile(args.config)
    cfg.model.setdefault('test_cfg', {})
    cfg.model.test_cfg['tile'] = None if args.mode == 'whole' else dict(size=args.tile)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    if args.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    else:
        wake_zero_initialised(model)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = model.to(device)
    export_s = None
    if args.backend == 'onnxruntime':
        from mmzoom.apis.onnx_export import export_model
        from mmzoom.apis.onnx_runtime import onnx_generator
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            path = osp.join(tmp, 'model.onnx')
            export_model(model.generator, path, shape=(64, 64))
            model.generator = onnx_generator(model.generator, path, device=device)
        export_s = time.perf_counter() - start
    h, w = args.size
    photo = load_photos()['astronaut']
    rgb = cv2.resize(photo, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    in_channels = getattr(model.generator, 'in_channels', 3)
    img = mosaic_from_rgb(rgb, 'RGGB')[..., None] if in_channels == 1 else rgb
    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None].to(device)
    del photo, rgb, img
    # The RAW file's colour that SDAN's rendered self reference reads (a camera whose RGB is
    # sRGB, as the mosaic above is made): the same work per pixel as a real camera's matrix.
    from mmagic.structures import DataSample
    samples = DataSample.stack([DataSample(metainfo=dict(
        raw_rgb_cam=np.eye(3).tolist(), raw_camera_wb=(2.0, 1.0, 1.5),
        img_wb_gains=(2.0, 1.0, 1.0, 1.5)))])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    num_tiles = plan_zoom(model, x, model.tile if args.mode != 'whole' else None).num_tiles
    start = time.perf_counter()
    with torch.no_grad():
        if args.mode == 'stream':
            plan = plan_zoom(model, x, model.tile)
            tiles = image_tiles(zoom_tiles(model, x, samples, model.tile), 16)
            write_image(args.save, *plan.out_shape, 16, bands_from_tiles(tiles,
                                                                          plan.out_shape[1]))
        elif hasattr(model, 'infer'):  # SDAN: the editor's path, model.test_cfg.tile
            out = model.infer(x, samples).output
        else:  # other SR editors: forward_inference tiles (0..255 output, not rounded)
            model.round_output = False
            out = model.forward_inference(x).pred_img
    if device == 'cuda':
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = dict(mode=args.mode, h=h, w=w, wall=wall, peak=peak, base=base,
                  tiles=num_tiles, export_s=export_s,
                  cuda_peak=torch.cuda.max_memory_allocated() if device == 'cuda' else None)
    if args.mode != 'stream' and args.save:
        np.save(args.save, out.float().cpu().numpy())
    print('RESULT ' + json.dumps(result), flush=True)


def wake_zero_initialised(model) -> None:
    """Give random weights the global terms a trained model has: the attention scale gamma of
    SDAN's CPA and the last conv of RNAN's GC blocks start at zero, which would make both
    identities and hide what tiling must reproduce."""
    import torch
    from mmcv.cnn import ContextBlock
    from mmzoom.models.layers import CrossPackingAttention
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, CrossPackingAttention) and m.gamma is not None:
                m.gamma.fill_(0.5)
            elif isinstance(m, ContextBlock) and m.channel_add_conv is not None:
                for p in m.channel_add_conv[-1].parameters():
                    p.copy_(torch.randn(p.shape, generator=gen) * 0.05)


def measure(args, mode: str, size, save: Optional[str], backend: str) -> Optional[dict]:
    cmd = [sys.executable, osp.abspath(__file__), '--child', mode, '--config', args.config,
           '--size', f'{size[0]}x{size[1]}', '--tile', str(args.tile), '--backend', backend]
    if args.checkpoint:
        cmd += ['--checkpoint', args.checkpoint]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    if save:
        cmd += ['--save', save]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith('RESULT '):
            return json.loads(line[7:])
    tail = (proc.stderr.strip().splitlines() or ['?'])[-1]
    print(f'  {backend} {mode} {size[0]}x{size[1]} failed (exit {proc.returncode}): {tail}',
          flush=True)
    return None


def parse_size(text: str):
    try:
        h, w = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'size must be HxW, got {text!r}')
    return h, w


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--checkpoint')
    parser.add_argument('--sizes', nargs='+', type=parse_size,
                        default=[(256, 256), (512, 512), (1024, 1024), (2048, 2048)],
                        help='input sizes HxW (mosaic pixels for RAW models)')
    parser.add_argument('--tile', type=int, default=256)
    parser.add_argument('--whole-max-mp', type=float, default=0.6,
                        help='largest input (MP) to run whole (about 9 GB per MP for full SDAN)')
    parser.add_argument('--threads', type=int, default=0, help='torch threads (0 = default)')
    parser.add_argument('--backends', nargs='+', default=['pytorch'],
                        choices=('pytorch', 'onnxruntime'),
                        help='run the network with PyTorch and/or ONNX Runtime (the generator '
                        'exported by mmzoom.apis.onnx_export; export time reported apart)')
    parser.add_argument('--modes', nargs='+', default=['whole', 'tiled', 'stream'],
                        choices=('whole', 'tiled', 'stream'))
    parser.add_argument('--child', help=argparse.SUPPRESS)
    parser.add_argument('--backend', default='pytorch', help=argparse.SUPPRESS)
    parser.add_argument('--size', type=parse_size, help=argparse.SUPPRESS)
    parser.add_argument('--save', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.mode = args.child
        child(args)
        return

    print(f'config {osp.relpath(args.config, ROOT)}, tile {args.tile}, '
          f'{"CUDA" if _has_cuda() else "CPU"}, threads {args.threads or "default"}', flush=True)
    header = ('| input | backend | mode | wall s | s per tile | input MP/s | peak RSS GB | '
              'peak CUDA GB | vs whole / vs PyTorch (max rel. diff) |')
    rows, last_stream = [header, '| --- ' * 9 + '|'], None
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            mp = size[0] * size[1] / 1e6
            results = {}
            modes = [m for m in args.modes if m != 'whole' or mp <= args.whole_max_mp]
            for mode in modes:
                for backend in args.backends:
                    name = f'{backend}-{mode}'
                    save = osp.join(tmp, f'{name}.npy' if mode != 'stream' else f'{name}.tif')
                    res = measure(args, mode, size, save, backend)
                    if res is None:
                        continue
                    results[name] = res
                    diff = []
                    if mode == 'tiled' and f'{backend}-whole' in results:
                        diff.append('vs whole ' + _difference(
                            osp.join(tmp, f'{backend}-whole.npy'), save))
                    if backend != 'pytorch' and mode != 'stream' and \
                            f'pytorch-{mode}' in results:
                        diff.append('vs PyTorch ' + _difference(
                            osp.join(tmp, f'pytorch-{mode}.npy'), save))
                    if mode == 'stream':
                        last_stream = res
                    cuda = f'{res["cuda_peak"] / 2**30:.2f}' if res['cuda_peak'] else '-'
                    per_tile = f'{res["wall"] / res["tiles"]:.2f}' if mode != 'whole' else ''
                    export = (f' (export {res["export_s"]:.0f} s, not counted)'
                              if res.get('export_s') else '')
                    row = (f'| {size[1]}x{size[0]} ({mp:.2f} MP) | {backend}{export} | {mode} | '
                           f'{res["wall"]:.1f} | {per_tile} | {mp / res["wall"]:.4f} | '
                           f'{res["peak"] / 2**30:.2f} | {cuda} | {"; ".join(diff)} |')
                    rows.append(row)
                    print(row, flush=True)
            for name in os.listdir(tmp):
                os.remove(osp.join(tmp, name))
    print('\n'.join(rows))
    if last_stream:
        mp = last_stream['h'] * last_stream['w'] / 1e6
        full = FULL_FRAME[0] * FULL_FRAME[1] / 1e6
        print(f'extrapolated full frame {FULL_FRAME[1]}x{FULL_FRAME[0]} ({full:.1f} MP): '
              f'{last_stream["wall"] * full / mp / 60:.0f} min at the '
              f'{last_stream["w"]}x{last_stream["h"]} rate')


def _difference(path_a: str, path_b: str) -> str:
    import numpy as np
    a, b = np.load(path_a), np.load(path_b)
    peak = max(np.abs(a).max(), 1e-12)
    mse = float(np.mean(((a - b) / peak)**2))
    psnr = 10 * np.log10(1 / mse) if mse > 0 else float('inf')
    return f'{np.abs(a - b).max() / peak:.1e}, PSNR {psnr:.1f} dB'


def _has_cuda() -> bool:
    import torch
    return torch.cuda.is_available()


if __name__ == '__main__':
    main()

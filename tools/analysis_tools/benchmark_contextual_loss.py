#!/usr/bin/env python
"""Time and peak memory of one contextual (CX) / CoBi loss evaluation, forward and backward.

    python tools/analysis_tools/benchmark_contextual_loss.py [--size 576] [--batch 1]
        [--positions 3969] [--device cpu|cuda]

Rows, each in a fresh process (peak RSS is its own): CX on VGG19 features, CoBi on VGG19
features, CoBi on 10 x 10 RGB patches (zoom-learn-zoom's 4x variant). VGG19 has random weights
here (the cost does not depend on them; a real run loads torchvision's ImageNet weights). The
default size is SDAN's 4x training patch (576 HR px).
"""
import argparse
import json
import subprocess
import sys
import os.path as osp
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROWS = {'CX vgg19': dict(type='ContextualLoss'), 'CoBi vgg19': dict(type='CoBiLoss'),
        'CoBi rgb 10x10': dict(type='CoBiLoss', features='rgb', patch_size=10)}


def child(args) -> None:
    import resource
    import time

    sys.path.insert(0, ROOT)
    import torch
    import mmzoom  # noqa: F401
    from mmagic.registry import MODELS

    torch.manual_seed(0)
    cfg = dict(ROWS[args.row], num_positions=args.positions)
    if cfg.get('features', 'vgg19') == 'vgg19':
        cfg['pretrained'] = False
    loss = MODELS.build(cfg).to(args.device)
    pred = torch.rand(args.batch, 3, args.size, args.size, device=args.device,
                      requires_grad=True)
    target = torch.rand(args.batch, 3, args.size, args.size, device=args.device)
    loss(pred, target).backward()  # warm-up
    if args.device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    loss(pred, target).backward()
    if args.device == 'cuda':
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    print(json.dumps(dict(seconds=seconds,
                          peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                          cuda=torch.cuda.max_memory_allocated() if args.device == 'cuda'
                          else None)))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', type=int, default=576, help='image side (HR px)')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--positions', type=int, default=3969, help='sampled per layer')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--row', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.row:
        child(args)
        return 0
    print(f'{args.batch} x {args.size}x{args.size}, {args.positions} positions per layer, '
          f'{args.device}, forward + backward\n')
    print('| loss | wall s | peak RSS GB | peak CUDA GB |')
    print('| --- | --- | --- | --- |')
    for row in ROWS:
        proc = subprocess.run([sys.executable, __file__, '--size', str(args.size), '--batch',
                               str(args.batch), '--positions', str(args.positions), '--device',
                               args.device, '--row', row], capture_output=True, text=True)
        if proc.returncode:
            print(f'| {row} | failed: {(proc.stderr.strip().splitlines() or ["?"])[-1]} | | |')
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        cuda = '-' if r['cuda'] is None else f'{r["cuda"] / 2**30:.2f}'
        print(f'| {row} | {r["seconds"]:.2f} | {r["peak"] / 2**30:.2f} | {cuda} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

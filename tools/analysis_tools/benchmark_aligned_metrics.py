#!/usr/bin/env python
"""Time and peak memory of the SR-RAW metrics, plain and aligned, on one full-size target.

    python tools/analysis_tools/benchmark_aligned_metrics.py [--size 5304 7952] [--shift 3 -2]

The target is a scikit-image photo resized to the size; the prediction is the target shifted by
``--shift`` px with another exposure and colour, as a misaligned SR-RAW pair looks to a perfect
zoom. Each metric runs in a fresh process (peak RSS is its own).
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def child(args) -> None:
    import resource
    import time

    sys.path.insert(0, ROOT)
    import cv2
    import numpy as np
    import torch
    from skimage import data

    import mmzoom  # noqa: F401
    from mmzoom.evaluation.metrics import SRRawPSNR, SRRawSSIM
    h, w = args.size
    gt = cv2.resize(data.astronaut(), (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    pred = np.roll(gt, tuple(args.shift), axis=(0, 1)) * np.float32([1.08, 0.97, 1.04]) + 6
    to_t = lambda a: torch.from_numpy(np.clip(a, 0, 255).transpose(2, 0, 1).copy())  # noqa
    cls = SRRawPSNR if args.metric == 'psnr' else SRRawSSIM
    metric = cls(crop_border=32, align_gt=args.aligned)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    metric.process([], [dict(gt_img=to_t(gt), output=dict(pred_img=to_t(pred)),
                             wb_gains=(1.5, 1.0, 1.0, 1.8))])
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(name=metric.metric, value=metric.results[0][metric.metric],
                          seconds=seconds, peak=peak * 1024, before=base * 1024)))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', type=int, nargs=2, default=[5304, 7952], metavar=('H', 'W'))
    parser.add_argument('--shift', type=int, nargs=2, default=[3, -2], metavar=('DY', 'DX'))
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--metric', default='psnr', help=argparse.SUPPRESS)
    parser.add_argument('--aligned', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    print(f'target {args.size[1]}x{args.size[0]}, prediction shifted by {args.shift} px and '
          'colour-changed')
    print('| metric | value | time (s) | peak RSS (GB) |')
    print('|---|---|---|---|')
    for metric in ('psnr', 'ssim'):
        for aligned in (False, True):
            cmd = [sys.executable, osp.abspath(__file__), '--child', '--metric', metric,
                   '--size', *map(str, args.size), '--shift', *map(str, args.shift)]
            done = subprocess.run(cmd + (['--aligned'] if aligned else []), capture_output=True,
                                  text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith('{')]
            if done.returncode or not lines:
                print(done.stdout[-2000:] + done.stderr[-2000:], file=sys.stderr)
                return 1
            row = json.loads(lines[-1])
            print(f'| {row["name"]} | {row["value"]:.3f} | {row["seconds"]:.1f} | '
                  f'{row["peak"] / 2**30:.2f} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

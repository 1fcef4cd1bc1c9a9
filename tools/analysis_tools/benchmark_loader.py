#!/usr/bin/env python
"""SR-RAW training loader throughput: the raw path against the prepared pair store.

    python tools/analysis_tools/benchmark_loader.py ROOT STORE [--config CFG] [--workers 0 1 2]
        [--raw-samples 6] [--store-samples 300] [--train-pairs 1350] [--test-pairs 50]

ROOT is an SR-RAW tree (e.g. ``make_demo_dataset.py --size 5304 7952`` for real size), STORE the
store prepare_pairs.py made from it (made here first, timed, when it does not exist). Every
measurement runs the config's training dataset (default: the SDAN RAW 4x pipeline, 144 px mosaic
/ 576 px target patches) through a torch DataLoader in a fresh process, with 0, 1, 2 ... worker
processes, batch size 1, random pairs with replacement; samples/s is counted from the first sample
on (worker start-up excluded), peak RSS is the largest of the main process and of one worker.

Then the disk footprint per pair of the store (and of the RAW+JPG files it was made from),
extrapolated to SR-RAW's 4x pairs (``--train-pairs`` / ``--test-pairs``: 450 training sequences
x 3 pairs, 50 test sequences x 1; the raw training split is about 58 GB).
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')


def child(args) -> None:
    """One measurement; prints a JSON line."""
    import resource

    sys.path.insert(0, ROOT)
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate, worker_init_fn
    from mmengine.registry import init_default_scope
    from functools import partial

    import mmzoom  # noqa: F401
    from mmagic.registry import DATASETS

    init_default_scope('mmagic')
    cfg = Config.fromfile(args.config)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = args.root
    if args.mode == 'store':
        ds_cfg.prepared_root = args.store
    dataset = DATASETS.build(ds_cfg)
    sampler = torch.utils.data.RandomSampler(dataset, replacement=True,
                                             num_samples=args.samples + 1,
                                             generator=torch.Generator().manual_seed(0))
    init = (partial(worker_init_fn, num_workers=args.workers, rank=0, seed=0)
            if args.workers else None)
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, sampler=sampler,
                                         num_workers=args.workers, collate_fn=pseudo_collate,
                                         worker_init_fn=init)
    np.random.seed(0)
    start = time.perf_counter()
    first = None
    n = 0
    for batch in loader:
        if first is None:
            first = time.perf_counter()
            shape = tuple(batch['inputs'][0].shape), tuple(batch['data_samples'][0].gt_img.shape)
            continue
        n += 1
    end = time.perf_counter()
    print(json.dumps(dict(
        mode=args.mode, workers=args.workers, samples=n, rate=n / (end - first),
        first_s=first - start, input_shape=shape[0], gt_shape=shape[1],
        peak_main=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        peak_worker=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)))


def _dir_bytes(path: str) -> int:
    return sum(osp.getsize(osp.join(d, f)) for d, _, files in os.walk(path) for f in files)


def _plane_bytes_per_pixel(store: str, plane: str) -> float:
    """Mean stored bytes per pixel of ``plane`` ('img' or 'gt') over the store's pairs."""
    nbytes = pixels = 0
    for meta_path in glob.glob(osp.join(store, '*', '*', '*', 'meta.json')):
        with open(meta_path) as f:
            shape = json.load(f)[f'{plane}_shape']
        nbytes += osp.getsize(osp.join(osp.dirname(meta_path), f'{plane}.tif'))
        pixels += shape[0] * shape[1]
    return nbytes / max(pixels, 1)


def _pair_sources(store: str, split: str) -> List[tuple]:
    """(store bytes, source bytes) of every prepared pair of ``split``."""
    out = []
    split_root = osp.join(store, split)
    if not osp.isdir(split_root):
        return out
    for seq in sorted(os.listdir(split_root)):
        seq_dir = osp.join(split_root, seq)
        if not osp.isdir(seq_dir):
            continue
        for name in sorted(os.listdir(seq_dir)):
            folder = osp.join(seq_dir, name)
            if not re.fullmatch(r'\d+-\d+', name):
                continue
            with open(osp.join(folder, 'meta.json')) as f:
                info = json.load(f)['info']
            source = sum(osp.getsize(info[k]) for k in ('img_path', 'gt_path'))
            out.append((_dir_bytes(folder), source))
    return out


def photo_bytes_per_pixel(hr_bits: int) -> float:
    """Store bytes per target pixel on native-resolution photos (scikit-image's samples, full
    detail, unlike a generated tree's upscaled scenes) after a sub-pixel bicubic warp, as the
    alignment leaves the target: what a real SR-RAW target costs."""
    import tempfile

    import cv2
    import numpy as np

    sys.path.insert(0, ROOT)
    from mmzoom.datasets.prepared_store import encode_pair, write_plane
    from mmzoom.raw.synthetic import load_photos

    total_bytes = total_px = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, photo in load_photos().items():
            warp = np.float32([[1.0, 0.002, 0.37], [-0.002, 1.0, 0.61]])
            gt = cv2.warpAffine(photo.astype(np.float32), warp, photo.shape[1::-1],
                                flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
            img = np.zeros((2, 2, 3), np.float32)
            _, _, stored, _ = encode_pair(dict(img=img, gt=np.clip(gt, 0, 255)), hr_bits)
            path = osp.join(tmp, f'{name}.tif')
            write_plane(path, stored)
            total_bytes += osp.getsize(path)
            total_px += photo.shape[0] * photo.shape[1]
    return total_bytes / total_px


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('root', help='SR-RAW tree')
    parser.add_argument('store', help='prepared store of it (made first if missing)')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--raw-samples', type=int, default=6)
    parser.add_argument('--store-samples', type=int, default=300)
    parser.add_argument('--train-pairs', type=int, default=1350)
    parser.add_argument('--test-pairs', type=int, default=50)
    parser.add_argument('--child', choices=['raw', 'store'], help=argparse.SUPPRESS)
    parser.add_argument('--samples', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.mode = args.child
        args.workers = args.workers[0]
        child(args)
        return 0

    prep_line = ''
    if not osp.isfile(osp.join(args.store, 'store.json')):
        cmd = [sys.executable, osp.join(ROOT, 'tools', 'dataset_converters', 'srraw',
                                        'prepare_pairs.py'), args.root, args.store,
               '--no-progress', '--config', args.config, '--splits'] + [
                   split for split in ('train', 'test') if osp.isdir(osp.join(args.root, split))]
        print('preparing the store:', ' '.join(cmd), flush=True)
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode not in (0, 2):
            print(done.stdout + done.stderr, file=sys.stderr)
            return 1
        per_pair = re.findall(r'\(([\d.]+) s per pair in one process\)', done.stdout)
        prep_line = (f'preparing: {time.perf_counter() - start:.0f} s for the tree, '
                     f'{", ".join(per_pair)} s per pair (one process) by split')
    rows = []
    for mode in ('raw', 'store'):
        for workers in args.workers:
            samples = args.raw_samples if mode == 'raw' else args.store_samples
            cmd = [sys.executable, osp.abspath(__file__), args.root, args.store, '--config',
                   args.config, '--child', mode, '--workers', str(workers), '--samples',
                   str(samples)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith('{')]
            if done.returncode or not lines:
                print(done.stdout[-3000:] + done.stderr[-3000:], file=sys.stderr)
                return 1
            row = json.loads(lines[-1])
            rows.append(row)
            print(f'{mode:5s} workers={workers}: {row["rate"]:.2f} samples/s', flush=True)
    print()
    print(f'patch: input {rows[0]["input_shape"]}, target {rows[0]["gt_shape"]}')
    print('| loader | workers | samples/s | first sample (s) | peak RSS main / worker (GB) |')
    print('|---|---|---|---|---|')
    for row in rows:
        worker = f'{row["peak_worker"] / 2**30:.2f}' if row['workers'] else '-'
        print(f'| {row["mode"]} | {row["workers"]} | {row["rate"]:.2f} | {row["first_s"]:.1f} | '
              f'{row["peak_main"] / 2**30:.2f} / {worker} |')
    for workers in args.workers:
        by = {r['mode']: r['rate'] for r in rows if r['workers'] == workers}
        print(f'store / raw at {workers} workers: {by["store"] / by["raw"]:.0f}x')
    if prep_line:
        print(prep_line)
    # SR-RAW's 4x pairs (focal lengths 240 150 70 70 50 35 24 mm): the target of pair (k, k+4)
    # covers (4 f_{k+4} / f_1)^2 of the 42 MP frame: 0.69, 0.34, 0.16 for k = 1, 2, 3.
    frame = 7952 * 5304
    train_px = frame * (0.69 + 0.34 + 0.16) / 3
    test_px = frame * 0.34
    img_bytes = _plane_bytes_per_pixel(args.store, 'img')
    for bits in (16, 8):
        bpp = photo_bytes_per_pixel(bits)
        per_pair = train_px * bpp + train_px / 16 * img_bytes
        print(f'estimate for real SR-RAW photos, --hr-bits {bits}: target {bpp:.2f} B/px '
              f'(native-resolution photos), mosaic {img_bytes:.2f} B/px (this store): '
              f'{per_pair / 1e6:.0f} MB per train pair, {per_pair * args.train_pairs / 1e9:.0f} '
              f'GB train + {(test_px * bpp + test_px / 16 * img_bytes) * args.test_pairs / 1e9:.0f}'
              ' GB test')
    for split, total in (('train', args.train_pairs), ('test', args.test_pairs)):
        pairs = _pair_sources(args.store, split)
        if not pairs:
            continue
        store = sum(p[0] for p in pairs) / len(pairs)
        source = sum(p[1] for p in pairs) / len(pairs)
        print(f'{split}: store {store / 1e6:.0f} MB per pair (its RAW + JPG: {source / 1e6:.0f} '
              f'MB) over {len(pairs)} pairs; x {total} SR-RAW 4x {split} pairs = '
              f'{store * total / 1e9:.0f} GB')
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python
"""Decode and align every SR-RAW pair once into a store that training reads by the crop.

    python tools/dataset_converters/srraw/prepare_pairs.py ROOT OUT [--splits train test]
        [--scale 4] [--input-mode raw] [--workers N] [--hr-bits 8] [--config CFG]

Then train from it with ``--cfg-options train_dataloader.dataset.prepared_root=OUT`` (and the
val/test loaders likewise). The pairs are the dataset's (SRRawDataset with the same scale, input
mode, pairs and exclusions, with its checks and messages); each is aligned by the pipeline's own
loaders and SRRawFovAlign (the defaults, or the train pipeline of ``--config``) and written to
``OUT/<split>/<seq>/<hr>-<lr>/`` (see mmzoom/datasets/prepared_store.py for the format and its
exactness). A pair appears only when complete: run the command again after an interruption and
it continues; pairs whose source files changed are prepared again.

Exit status: 0 all pairs prepared, 2 some pairs skipped (listed, and in OUT/<split>/problems.txt;
the rest is usable), 1 nothing usable or the disk refused a write (the pairs written so far stay
valid).
"""
import argparse
import os
import os.path as osp
import shutil
import sys
import time
import warnings
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..')))


def _default_steps(input_mode: str) -> List[dict]:
    loader = (dict(type='LoadRawFromFile', key='img') if input_mode == 'raw' else
              dict(type='LoadSRRawJpg', key='img'))
    return [loader, dict(type='LoadSRRawJpg', key='gt'), dict(type='SRRawFovAlign')]


def _config_steps(path: str):
    """(steps, scale, input_mode, pairs) from a config's train dataset."""
    from mmengine.config import Config

    cfg = Config.fromfile(path)
    dataset = cfg.train_dataloader.dataset
    pipeline = [dict(step) for step in dataset.pipeline]
    names = [step.get('type') for step in pipeline]
    if 'SRRawFovAlign' not in names:
        raise ValueError(f'{path}: the train pipeline has no SRRawFovAlign step to prepare')
    steps = pipeline[:names.index('SRRawFovAlign') + 1]
    return steps, dataset.get('scale', 4), dataset.get('input_mode', 'raw'), dataset.get('pairs')


def _human(nbytes: float) -> str:
    for unit in ('B', 'KB', 'MB', 'GB', 'TB'):
        if nbytes < 1000 or unit == 'TB':
            return f'{nbytes:.1f} {unit}'
        nbytes /= 1000
    return ''


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('root', help='SR-RAW root holding train/ and test/')
    parser.add_argument('out', help='store folder (created; an existing store is continued)')
    parser.add_argument('--splits', nargs='+', default=['train', 'test'],
                        help='splits to prepare (default: train test)')
    parser.add_argument('--scale', type=int, default=None, choices=[4, 8],
                        help='4 or 8 (default: 4, or the config\'s)')
    parser.add_argument('--input-mode', default=None, choices=['raw', 'rgb'],
                        help='raw or rgb (default: raw, or the config\'s)')
    parser.add_argument('--pairs', nargs='+', default=None, metavar='HR-LR',
                        help='pairs to prepare, e.g. 1-5 2-6 (default: the dataset\'s for the '
                        'scale and split)')
    parser.add_argument('--config', default=None,
                        help='take the loading/alignment steps (and scale, input mode, train '
                        'pairs) from this config\'s train pipeline')
    parser.add_argument('--raw-ext', default='auto', help='RAW extension (default: auto)')
    parser.add_argument('--hr-bits', type=int, default=8, choices=[8, 16],
                        help='target storage: 8 (rounded to whole levels, at most 0.5 of 255 '
                        'from the raw path; default) or 16 (steps of 1/256, at most 0.002; about '
                        '3x the disk on real photos)')
    parser.add_argument('--workers', type=int, default=1, help='parallel processes')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)

    import mmzoom  # noqa: F401  (registers the transforms)
    from mmagic.registry import TRANSFORMS
    from mmzoom.datasets import SRRawDataset, SRRawDatasetError
    from mmzoom.datasets.prepared_store import (PROBLEMS_FILE, PreparedStoreError,
                                                check_compatible, new_header, pair_folder,
                                                prepare_pair, read_header, read_pair_meta,
                                                remove_partials, source_stamp, to_json,
                                                write_header)
    from mmzoom.raw import map_with_progress

    def fail(msg: str) -> int:
        print(f'error: {msg}', file=sys.stderr)
        return 1

    try:
        if args.config:
            steps, scale, input_mode, cfg_pairs = _config_steps(args.config)
        else:
            steps, scale, input_mode, cfg_pairs = None, 4, 'raw', None
    except (OSError, ValueError, KeyError, AttributeError) as err:
        return fail(f'cannot read the config {args.config}: {err}')
    scale = args.scale or scale
    input_mode = args.input_mode or input_mode
    steps = steps or _default_steps(input_mode)
    pairs = cfg_pairs
    if args.pairs:
        try:
            pairs = [tuple(int(k) for k in p.split('-')) for p in args.pairs]
        except ValueError:
            return fail(f'--pairs takes HR-LR shot numbers such as 1-5, got {args.pairs}')
    if not osp.isdir(args.root):
        return fail(f'SR-RAW root not found: {args.root}')
    try:
        reprs = [repr(TRANSFORMS.build(dict(step))) for step in steps]
    except (KeyError, TypeError, ValueError) as err:
        return fail(f'invalid loading/alignment steps {steps}: {err}')
    header = new_header(scale, input_mode, args.hr_bits, reprs)
    if osp.isfile(osp.join(args.out, 'store.json')):
        try:
            old = read_header(args.out)
            check_compatible(old, scale, input_mode, args.out, 'choose another OUT')
        except PreparedStoreError as err:
            return fail(str(err))
        if old['steps'] != reprs or old['hr_bits'] != args.hr_bits:
            return fail(f'{args.out} was prepared with other steps or --hr-bits '
                        f'({old["steps"]}, {old["hr_bits"]} bit); choose another OUT')
        header['splits'] = old['splits']
    elif osp.exists(args.out) and (not osp.isdir(args.out) or os.listdir(args.out)):
        return fail(f'{args.out} exists and is not a prepared store; choose an empty or new '
                    'folder')
    try:
        write_header(args.out, header)
    except OSError as err:
        return fail(f'cannot write to {args.out}: {err.strerror}; choose a writable folder with '
                    'free space')

    status = 0
    for split in args.splits:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')  # the problems are reported below, once
                dataset = SRRawDataset(data_root=args.root, split=split, scale=scale,
                                       input_mode=input_mode, pairs=pairs if split == 'train'
                                       or args.pairs else None, raw_ext=args.raw_ext,
                                       skip_invalid=True, serialize_data=False)
        except (SRRawDatasetError, FileNotFoundError, ValueError) as err:
            print(f'error: {err}', file=sys.stderr)
            status = 1
            continue
        split_root = osp.join(args.out, split)
        removed = remove_partials(split_root)
        if removed:
            print(f'{split}: removed {removed} partial pair(s) left by an interrupted run')
        jobs, done = [], 0
        for info in dataset.data_list:
            folder = pair_folder(args.out, split, info['sequence'], info['hr_index'],
                                 info['lr_index'])
            try:
                if read_pair_meta(folder)['source'] == to_json(source_stamp(info)):
                    done += 1
                    continue
            except (OSError, ValueError, KeyError):
                pass
            jobs.append(dict(info=info, folder=folder, steps=steps, hr_bits=args.hr_bits))
        print(f'{split}: {len(dataset.data_list)} pairs ({done} already prepared, {len(jobs)} to '
              f'do) from {osp.join(args.root, split)} into {split_root}')
        skipped = [f'{p.path}: {p.reason}' for p in dataset.problems]
        sizes, times, disk_error = [], [], None
        start = time.perf_counter()
        for job, result, error in map_with_progress(prepare_pair, jobs, args.workers,
                                                    f'preparing {split} pairs', 'pair',
                                                    progress=not args.no_progress):
            kind, value = result
            if kind == 'ok':
                sizes.append(value[0])
                times.append(value[1])
            elif kind == 'skip':
                skipped.append(value)
            else:
                disk_error = value
                break
        header['splits'][split] = dict(source=osp.abspath(osp.join(args.root, split)),
                                       pairs=[list(p) for p in dataset.pairs],
                                       prepared=done + len(sizes), skipped=skipped)
        try:
            os.makedirs(split_root, exist_ok=True)
            with open(osp.join(split_root, PROBLEMS_FILE), 'w') as f:
                f.write(''.join(f'{line}\n' for line in skipped))
            write_header(args.out, header)
        except OSError as err:
            disk_error = disk_error or f'{err.strerror} ({err.filename})'
        if disk_error:
            free = shutil.disk_usage(args.out).free if osp.isdir(args.out) else 0
            return fail(f'the store\'s disk refused a write: {disk_error}; {done + len(sizes)} '
                        f'{split} pairs are complete ({_human(free)} free). Free space or '
                        'choose another OUT, then run the same command again to continue')
        if sizes:
            print(f'{split}: prepared {len(sizes)} pairs in {time.perf_counter() - start:.0f} s '
                  f'({sum(times) / len(times):.2f} s per pair in one process), '
                  f'{_human(sum(sizes) / len(sizes))} per pair')
        if skipped:
            status = max(status, 2)
            print(f'{split}: skipped {len(skipped)} pair(s) or file(s) (also in '
                  f'{osp.join(split_root, PROBLEMS_FILE)}):')
            for line in skipped:
                print(f'  {line}')
        if not done + len(sizes):
            status = 1
            print(f'error: {split}: no pair prepared', file=sys.stderr)
    if status != 1:
        print(f'store ready: {args.out}; train with --cfg-options '
              f'train_dataloader.dataset.prepared_root={args.out} '
              f'val_dataloader.dataset.prepared_root={args.out} '
              f'test_dataloader.dataset.prepared_root={args.out}')
    return status


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python
"""Write wb.txt for every sequence of an SR-RAW tree: per-shot camera white-balance gains.

    python tools/dataset_converters/srraw/compute_wb.py --root data/SRRAW [--raw-ext ARW]
        [--workers 2] [--overwrite]

For each RAW shot k the gains ``gR gG gG gB`` are the ratio of LibRaw's render with the camera's
as-shot white balance to its render with daylight multipliers (both linear, half size, clipped
pixels excluded; the exact definition is in mmzoom/raw/white_balance.py). The dataset divides them
out of the targets (``Y[c] /= g[c] ** (1 / 2.2)``). Sequences that already have a wb.txt are
skipped unless ``--overwrite``. Exit status 1 if any RAW file could not be decoded.
"""
import argparse
import os.path as osp
import sys
from functools import partial
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..')))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', required=True,
                        help='SR-RAW root, a split folder (train/test) or one sequence folder')
    parser.add_argument('--raw-ext', default='auto',
                        help='RAW file extension: ARW (SR-RAW), dng (demo data) or auto '
                        '(the one present under --root)')
    parser.add_argument('--workers', type=int, default=1, help='parallel processes')
    parser.add_argument('--overwrite', action='store_true', help='recompute existing wb.txt')
    args = parser.parse_args(argv)

    from mmzoom.raw import (RawReadError, compute_sequence_wb, find_sequences, map_with_progress,
                            resolve_raw_ext)
    try:
        sequences = find_sequences(args.root)
        raw_ext = resolve_raw_ext(args.root, args.raw_ext)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    if not sequences:
        print(f'error: no sequence folders (<root>/{{train,test}}/<seq>/) under {args.root}',
              file=sys.stderr)
        return 1
    todo = [s for s in sequences if args.overwrite or not osp.isfile(osp.join(s, 'wb.txt'))]
    job = partial(compute_sequence_wb, raw_ext=raw_ext)
    failed = [(seq, error) for seq, _, error in map_with_progress(
        job, todo, args.workers, 'white balance', 'seq',
        catch=(RawReadError, FileNotFoundError, ValueError)) if error]
    for seq, error in sorted(failed):
        print(f'{seq}: FAILED: {error}', file=sys.stderr)
    print(f'wb.txt written for {len(todo) - len(failed)} sequences, '
          f'{len(sequences) - len(todo)} already had one (use --overwrite to redo), '
          f'{len(failed)} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

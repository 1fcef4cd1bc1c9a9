#!/usr/bin/env python
"""Write tform.txt for every sequence of an SR-RAW tree: ECC affine warps of each shot to 00001.

    python tools/dataset_converters/srraw/compute_tform.py --root data/SRRAW [--workers 2]
        [--scale 0.25] [--overwrite]

Per sequence, every JPG k is cropped to the field of view of 00001 (ratio of the EXIF focal
lengths), resized to the size of 00001 and registered to it with OpenCV's ECC (MOTION_AFFINE) at
``--scale`` of the full resolution; the warps, in full-resolution pixels, and the region all shots
cover (``corner: min_h max_h min_w max_w``) go to ``<seq>/tform.txt``. The format and the warp
convention are documented in mmzoom/raw/metafiles.py. Sequences that already have a tform.txt are
skipped unless ``--overwrite``. Exit status 1 if any sequence could not be aligned.
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
    parser.add_argument('--workers', type=int, default=1, help='parallel processes')
    parser.add_argument('--scale', type=float, default=0.25,
                        help='resolution of the ECC solve relative to the JPGs (default 0.25; '
                        'images are never solved below 256 px on the short side)')
    parser.add_argument('--iterations', type=int, default=500, help='ECC iterations at most')
    parser.add_argument('--overwrite', action='store_true', help='recompute existing tform.txt')
    parser.add_argument('--verbose', action='store_true', help='print a line per sequence')
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error(f'--scale must be in (0, 1], got {args.scale}')

    from mmzoom.raw import (AlignmentError, FocalLengthError, compute_sequence_tform,
                            find_sequences, map_with_progress)
    try:
        sequences = find_sequences(args.root)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    if not sequences:
        print(f'error: no sequence folders (<root>/{{train,test}}/<seq>/) under {args.root}',
              file=sys.stderr)
        return 1
    todo = [s for s in sequences
            if args.overwrite or not osp.isfile(osp.join(s, 'tform.txt'))]
    skipped = len(sequences) - len(todo)
    job = partial(compute_sequence_tform, scale=args.scale, iterations=args.iterations)
    failed = []
    for seq, result, error in map_with_progress(
            job, todo, args.workers, 'aligning', 'seq',
            catch=(AlignmentError, FocalLengthError, FileNotFoundError, ValueError)):
        if error:
            failed.append((seq, error))
        elif args.verbose:
            print(f'{seq}: {len(result.tforms)} shots, lowest ECC correlation '
                  f'{min(result.cc.values()):.3f}, common region {result.corner}')
    for seq, error in sorted(failed):
        print(f'{seq}: FAILED: {error}', file=sys.stderr)
    print(f'tform.txt written for {len(todo) - len(failed)} sequences, {skipped} already had one'
          f' (use --overwrite to redo), {len(failed)} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python
"""List every missing or damaged file of an SR-RAW tree; exit status 1 if there is any.

    python tools/dataset_converters/srraw/check_dataset.py --root data/SRRAW [--raw-ext ARW]
        [--no-meta] [--workers 2]

Reports, one ``path: reason`` line each: 0-byte or undecodable JPGs, JPGs without the EXIF focal
length, RAW files LibRaw cannot decode, a JPG without its RAW partner or the reverse, a sequence
without its 00001 shot, and a missing or incomplete tform.txt / wb.txt (``--no-meta`` skips those,
e.g. before running compute_tform.py and compute_wb.py). Every JPG and RAW file is decoded.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..')))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', required=True,
                        help='SR-RAW root, a split folder (train/test) or one sequence folder')
    parser.add_argument('--raw-ext', default='auto',
                        help='RAW file extension: ARW (SR-RAW), dng (demo data) or auto '
                        '(the one present under --root)')
    parser.add_argument('--no-meta', action='store_true',
                        help='do not require tform.txt and wb.txt')
    parser.add_argument('--workers', type=int, default=1, help='parallel processes')
    args = parser.parse_args(argv)

    from mmzoom.raw import check_dataset
    try:
        problems, n_seq = check_dataset(args.root, args.raw_ext, require_meta=not args.no_meta,
                                        workers=args.workers)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    for problem in problems:
        print(problem)
    if problems:
        print(f'{len(problems)} problem(s) in {n_seq} sequence(s) under {args.root}')
        return 1
    print(f'OK: {n_seq} sequence(s) under {args.root}, no problem found')
    short = _short_sequences(args.root, args.raw_ext)
    if short:
        print(f'note: {len(short)} sequence(s) stop at shot 6, as some SR-RAW sequences do '
              f'({", ".join(short[:5])}{" ..." if len(short) > 5 else ""}); SRRawDataset skips '
              'the pairs that need shot 7 there (4x training pair (3, 7))')
    return 0


def _short_sequences(root: str, raw_ext: str) -> List[str]:
    from mmzoom.datasets.srraw_dataset import SHORT_SEQUENCE_LAST_SHOT
    from mmzoom.raw import find_sequences, resolve_raw_ext, shot_paths
    from mmzoom.raw.srraw_tree import JPG_EXTENSIONS

    ext = resolve_raw_ext(root, raw_ext)
    out = []
    for seq in find_sequences(root):
        shots = set(shot_paths(seq, JPG_EXTENSIONS)) | set(shot_paths(seq, ext))
        if shots and max(shots) == SHORT_SEQUENCE_LAST_SHOT:
            out.append(osp.relpath(seq, root) if seq != root else osp.basename(seq))
    return out


if __name__ == '__main__':
    sys.exit(main())

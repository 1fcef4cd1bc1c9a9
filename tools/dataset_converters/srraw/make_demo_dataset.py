#!/usr/bin/env python
"""Write a tiny SR-RAW-shaped dataset (camera JPGs + Bayer DNGs) from real photos.

    python tools/dataset_converters/srraw/make_demo_dataset.py --out data/demo_srraw
        [--photos a.png b.png ...] [--sequences 2] [--test-sequences 1] [--size 256 384]

Layout ``OUT/{train,test}/<seq:05d>/0000k.{JPG,dng}`` (k = 1 the longest focal length) plus a
tform.txt and wb.txt per sequence (the true ones; ``--no-meta`` leaves them to compute_tform.py
and compute_wb.py) and ``OUT/demo_truth.json`` with the true focal lengths, shifts, warps and
white-balance gains. Each shot is a view of a photo at its focal length with a known sub-pixel
shift; the RAW is written as DNG (rawpy decodes it like SR-RAW's ARW files; the dataset takes the
RAW extension as a parameter). Default photos: scikit-image's sample photographs. The generator
is mmzoom.raw.make_demo_srraw.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..')))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--photos', nargs='+', help='scene photos (default: scikit-image samples)')
    parser.add_argument('--sequences', type=int, default=2, help='training sequences')
    parser.add_argument('--test-sequences', type=int, default=1, help='test sequences')
    parser.add_argument('--size', type=int, nargs=2, default=(256, 384),
                        metavar=('HEIGHT', 'WIDTH'), help='sensor size of every shot (even)')
    parser.add_argument('--focal-lengths', type=float, nargs='+',
                        help='focal lengths in mm, longest first, one shot each (default '
                        '240 120 96 80 60 30 24: exact 4x and 8x pairs)')
    parser.add_argument('--pattern', default='RGGB', choices=['RGGB', 'BGGR', 'GRBG', 'GBRG'],
                        help='CFA pattern of the RAW files')
    parser.add_argument('--bit-depth', type=int, default=14, choices=[12, 14],
                        help='RAW bit depth (white level 2**bits - 1)')
    parser.add_argument('--black-level', type=float, default=None,
                        help='RAW black level (default 2**(bits-5): 512 at 14 bit)')
    parser.add_argument('--max-shift', type=float, default=1.5,
                        help='largest camera shake per axis, in pixels of each shot')
    parser.add_argument('--noise', type=float, default=0.002,
                        help='sensor noise std as a fraction of the white level')
    parser.add_argument('--raw-ext', default='dng', help='extension of the RAW files')
    parser.add_argument('--no-meta', action='store_true', help='do not write tform.txt / wb.txt')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--camera-matrix', type=float, nargs=9, metavar='M',
                        help='linear sRGB -> camera RGB, 9 numbers row by row, rows summing to 1 '
                             '(default: identity, camera RGB = linear sRGB)')
    args = parser.parse_args(argv)

    from mmzoom.raw.synthetic import DEFAULT_FOCAL_LENGTHS, load_photos, make_demo_srraw
    focal_lengths = args.focal_lengths or list(DEFAULT_FOCAL_LENGTHS)
    try:
        truth = make_demo_srraw(args.out, load_photos(args.photos), args.sequences,
                                args.test_sequences, tuple(args.size), focal_lengths,
                                args.pattern, args.black_level, args.bit_depth, args.max_shift,
                                args.noise, args.raw_ext, not args.no_meta, args.seed,
                                progress=True,
                                camera_matrix=(None if args.camera_matrix is None else
                                               [args.camera_matrix[i:i + 3] for i in (0, 3, 6)]))
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    n = len(truth['sequences'])
    print(f'{n} sequences of {len(focal_lengths)} shots written to {args.out} '
          f'(truth in {osp.join(args.out, "demo_truth.json")})')
    return 0


if __name__ == '__main__':
    sys.exit(main())

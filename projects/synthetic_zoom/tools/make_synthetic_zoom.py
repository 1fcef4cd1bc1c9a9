#!/usr/bin/env python
"""Write an SR-RAW-like optical-zoom benchmark with known truth from photos.

    python projects/synthetic_zoom/tools/make_synthetic_zoom.py --out data/synthetic_zoom
        [--photos a.png b.png ...] [--sequences 2] [--test-sequences 1] [--size 512 768]
        [--distortion 0.02] [--parallax 4] [--compute-tform]

Each sequence is a zoom sweep over one photo: per shot a Bayer DNG (unprocessed, lens blur,
misaligned, noisy) and a camera JPG, with wb.txt measured from the DNGs as compute_wb.py does and
tform.txt by the ECC code of compute_tform.py (--compute-tform), the true global warps
(--true-tform) or left to compute_tform.py (neither). The truth is written to OUT/truth/ and
OUT/synthetic_zoom_truth.json (conventions in projects/synthetic_zoom/README.md). Default photos:
scikit-image's sample photographs. The generator is mmzoom.raw.make_synthetic_zoom.
"""
import argparse
import os.path as osp
import sys
import time
from typing import List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..')))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--photos', nargs='+', help='scene photos (default: scikit-image samples)')
    parser.add_argument('--sequences', type=int, default=2, help='training sequences')
    parser.add_argument('--test-sequences', type=int, default=1, help='test sequences')
    parser.add_argument('--size', type=int, nargs=2, default=(512, 768),
                        metavar=('HEIGHT', 'WIDTH'), help='sensor size of every shot (even)')
    parser.add_argument('--focal-lengths', type=float, nargs='+',
                        help='focal lengths in mm, longest first (default 240 120 96 80 60 30 24)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--max-translation', type=float, default=8.0,
                        help='camera shake per axis, in pixels of the reference shot 00001')
    parser.add_argument('--max-rotation', type=float, default=0.5, help='degrees')
    parser.add_argument('--max-scale', type=float, default=0.01, help='relative scale error')
    parser.add_argument('--distortion', type=float, default=0.0,
                        help='radial distortion at the corners (barrel at the wide end, '
                        'pincushion at the long end), e.g. 0.02; default off')
    parser.add_argument('--parallax', type=float, default=0.0,
                        help='largest parallax shift in reference pixels, e.g. 4; default off')
    parser.add_argument('--depth-cells', type=int, nargs=2, default=(4, 6),
                        metavar=('ROWS', 'COLS'),
                        help='random grid of the inverse depth over the scene (finer: parallax '
                        'that varies within a tele shot, e.g. 24 36)')
    parser.add_argument('--blur', type=float, nargs=2, default=(0.5, 1.0),
                        metavar=('WIDE', 'TELE'),
                        help='lens PSF sigma in sensor pixels at the shortest / longest focal '
                        'length')
    parser.add_argument('--no-noise', action='store_true', help='noise-free RAW files')
    parser.add_argument('--jpeg-quality', type=int, default=95, help='camera JPG quality')
    parser.add_argument('--bit-depth', type=int, default=14, choices=[12, 14],
                        help='RAW bit depth (white level 2**bits - 1, black 2**(bits-5))')
    parser.add_argument('--pattern', default='RGGB', choices=['RGGB', 'BGGR', 'GRBG', 'GBRG'])
    tform = parser.add_mutually_exclusive_group()
    tform.add_argument('--compute-tform', action='store_true',
                       help='write tform.txt with the ECC code of compute_tform.py')
    tform.add_argument('--true-tform', action='store_true',
                       help='write the true global warps as tform.txt')
    args = parser.parse_args(argv)
    if min(args.size) < 32 or args.size[0] % 2 or args.size[1] % 2:
        parser.error(f'--size must be even and at least 32 px, got {args.size[0]} '
                     f'{args.size[1]}')
    if args.sequences < 0 or args.test_sequences < 0 or args.sequences + args.test_sequences < 1:
        parser.error('--sequences and --test-sequences must be >= 0, together at least 1')

    from mmzoom.raw import AlignmentError
    from mmzoom.raw.synthetic import DEFAULT_FOCAL_LENGTHS, load_photos, make_synthetic_zoom
    focal_lengths = args.focal_lengths or list(DEFAULT_FOCAL_LENGTHS)
    mode = 'ecc' if args.compute_tform else 'truth' if args.true_tform else 'none'
    start = time.time()
    try:
        truth = make_synthetic_zoom(
            args.out, load_photos(args.photos), args.sequences, args.test_sequences,
            tuple(args.size), focal_lengths, pattern=args.pattern, bit_depth=args.bit_depth,
            max_translation=args.max_translation, max_rotation=args.max_rotation,
            max_scale=args.max_scale, distortion=args.distortion, parallax=args.parallax,
            blur=tuple(args.blur), depth_cells=tuple(args.depth_cells),
            noise=not args.no_noise, jpeg_quality=args.jpeg_quality,
            tform=mode, seed=args.seed, progress=True)
    except (ValueError, OSError, AlignmentError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'{len(truth["sequences"])} sequences of {len(focal_lengths)} shots written to '
          f'{args.out} in {time.time() - start:.1f} s (truth in '
          f'{osp.join(args.out, "truth")} and synthetic_zoom_truth.json)')
    if mode == 'none':
        print('no tform.txt written: run tools/dataset_converters/srraw/compute_tform.py '
              f'--root {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

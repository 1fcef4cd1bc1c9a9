#!/usr/bin/env python
"""Write a tiny single-image SR dataset in MMagic's DIV2K / Set5 layout from real photos.

    python tools/dataset_converters/sisr/make_demo_dataset.py --out data/demo [--photos a.png ...]

Layout (what MMagic's ``BasicImageDataset`` configs expect, so the real DIV2K configs run on it with
``data_root`` changed)::

    OUT/DIV2K/DIV2K_train_HR_sub/0001_s001.png ...
    OUT/DIV2K/DIV2K_train_LR_bicubic/X{2,3,4}_sub/0001_s001.png ...
    OUT/DIV2K/meta_info_DIV2K800sub_GT.txt
    OUT/<test set>/GTmod12/*.png and OUT/<test set>/LRbicx{2,3,4}/*.png

LR images are made with MMagic's MATLAB-like bicubic (the degradation of the DIV2K benchmarks).
The default photos are the real photographs shipped with scikit-image.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

DEFAULT_PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'immunohistochemistry')
SCALES = (2, 3, 4)


def load_photos(paths: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
    """RGB uint8 photos by name: the given files, else scikit-image's sample photographs."""
    photos = {}
    if paths:
        for path in paths:
            img = cv2.imread(path, cv2.IMREAD_COLOR)
            if img is None:
                raise ValueError(f'cannot read image {path} (missing, or not an image)')
            photos[osp.splitext(osp.basename(path))[0]] = img[..., ::-1].copy()
        return photos
    from skimage import data
    for name in DEFAULT_PHOTOS:
        photos[name] = getattr(data, name)()[..., :3]
    return photos


def bicubic_down(img: np.ndarray, scale: int) -> np.ndarray:
    """MATLAB-compatible bicubic downsampling by an integer factor (uint8 in and out)."""
    from mmagic.datasets.transforms import MATLABLikeResize
    out = MATLABLikeResize(keys=['img'], scale=1 / scale)(dict(img=img.astype(np.float32)))['img']
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _write(path: str, rgb: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f'cannot write {path}')


def make_demo_dataset(out: str, photos: Optional[Dict[str, np.ndarray]] = None,
                      patch: int = 96, patches_per_photo: int = 4,
                      test_sets: Sequence[str] = ('Set5', ),
                      test_size: int = 120, seed: int = 0) -> Dict[str, List[str]]:
    """Write the dataset under ``out``; returns the written HR paths per split.

    ``patch`` and ``test_size`` must be multiples of 12 so every scale divides them.
    """
    if patch % 12 or test_size % 12:
        raise ValueError(f'patch ({patch}) and test_size ({test_size}) must be multiples of 12')
    photos = photos if photos is not None else load_photos()
    rng = np.random.default_rng(seed)
    written: Dict[str, List[str]] = {'train': []}
    div2k = osp.join(out, 'DIV2K')
    meta = []
    for i, (name, img) in enumerate(sorted(photos.items()), start=1):
        h, w = img.shape[:2]
        if min(h, w) < max(patch, test_size):
            raise ValueError(f'photo {name} ({w}x{h}) is smaller than {max(patch, test_size)} px')
        for j in range(1, patches_per_photo + 1):
            y, x = rng.integers(0, h - patch + 1), rng.integers(0, w - patch + 1)
            hr = img[y:y + patch, x:x + patch]
            fname = f'{i:04d}_s{j:03d}.png'
            _write(osp.join(div2k, 'DIV2K_train_HR_sub', fname), hr)
            for s in SCALES:
                _write(osp.join(div2k, 'DIV2K_train_LR_bicubic', f'X{s}_sub', fname),
                       bicubic_down(hr, s))
            meta.append(f'{fname} ({patch},{patch},3)')
            written['train'].append(osp.join(div2k, 'DIV2K_train_HR_sub', fname))
    os.makedirs(div2k, exist_ok=True)
    with open(osp.join(div2k, 'meta_info_DIV2K800sub_GT.txt'), 'w') as f:
        f.write('\n'.join(meta) + '\n')
    for test_set in test_sets:
        written[test_set] = []
        for name, img in sorted(photos.items()):
            h, w = img.shape[:2]
            y, x = (h - test_size) // 2, (w - test_size) // 2
            hr = img[y:y + test_size, x:x + test_size]
            path = osp.join(out, test_set, 'GTmod12', f'{name}.png')
            _write(path, hr)
            for s in SCALES:
                _write(osp.join(out, test_set, f'LRbicx{s}', f'{name}.png'), bicubic_down(hr, s))
            written[test_set].append(path)
    return written


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--photos', nargs='+', help='photos to use (default: scikit-image samples)')
    parser.add_argument('--patch', type=int, default=96, help='HR training patch size (x12)')
    parser.add_argument('--patches-per-photo', type=int, default=4)
    parser.add_argument('--test-sets', nargs='+', default=['Set5'],
                        help='test set folder names to write, e.g. Set5 Set14 BSDS100 Urban100')
    parser.add_argument('--test-size', type=int, default=120, help='test HR size (x12)')
    args = parser.parse_args(argv)
    sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..'))
    import mmzoom  # noqa: F401  (numpy compatibility for mmagic's resize)
    try:
        written = make_demo_dataset(args.out, load_photos(args.photos), args.patch,
                                    args.patches_per_photo, args.test_sets, args.test_size)
    except ValueError as err:
        sys.exit(f'error: {err}')
    for split, paths in written.items():
        print(f'{split}: {len(paths)} HR images')
    print(f'dataset written to {args.out}')


if __name__ == '__main__':
    main()

#!/usr/bin/env python
"""Super-resolve images with a trained model through MMagic's inference API.

    python tools/infer.py CONFIG CHECKPOINT --img LR.png [--ref REF.png] --out SR.png
    python tools/infer.py CONFIG CHECKPOINT --img LR_DIR --out OUT_DIR   # every image in a folder
    python tools/infer.py configs/sdan/<raw config> CKPT --img shot.ARW --out zoomed.png

Uses ``mmagic.apis.inferencers.ImageSuperResolutionInferencer`` with the config's
``inference_pipeline`` (keys ``img`` and, for reference-based models, ``ref``).
"""
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

import mmzoom  # noqa: E402,F401
from mmzoom.utils.checkpoint import explain_load_error, is_weights_only_error  # noqa: E402
from mmzoom.utils.cli import (CliError, OneLineParser, load_config, require_file,  # noqa: E402
                              run_cli)
from mmengine.config import DictAction  # noqa: E402

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.arw', '.dng', '.nef', '.cr2')


def main(argv: Optional[List[str]] = None) -> None:
    parser = OneLineParser(description='Super-resolve images with a trained model')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--img', required=True, help='input image or folder of images')
    parser.add_argument('--ref', help='reference image, for reference-based models')
    parser.add_argument('--out', required=True, help='output image (or folder for a folder)')
    parser.add_argument('--device', default=None, help='cpu, cuda, cuda:1 ... (default: auto)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries (e.g. those the checkpoint was trained with)')
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    require_file(args.checkpoint, 'checkpoint')
    if osp.isdir(args.img):
        jobs = [(osp.join(args.img, f), osp.join(args.out, osp.splitext(f)[0] + '.png'))
                for f in sorted(os.listdir(args.img)) if f.lower().endswith(IMAGE_EXTS)]
        if not jobs:
            raise CliError(f'no images ({", ".join(IMAGE_EXTS)}) in folder {args.img}')
    else:
        jobs = [(require_file(args.img, 'input image'), args.out)]
    if args.ref:
        require_file(args.ref, 'reference image')

    from mmagic.apis.inferencers import ImageSuperResolutionInferencer
    from mmengine.utils import ProgressBar
    try:
        inferencer = ImageSuperResolutionInferencer(cfg, args.checkpoint, device=args.device)
    except Exception as err:
        if is_weights_only_error(err):
            raise CliError(explain_load_error(args.checkpoint, err)) from err
        raise
    bar = ProgressBar(len(jobs)) if len(jobs) > 1 else None
    for src, dst in jobs:
        inferencer(img=src, ref=args.ref, result_out_dir=dst)
        if bar:
            bar.update()
        else:
            print(f'wrote {dst}')
    if bar:
        print(f'\nwrote {len(jobs)} images to {args.out}')


if __name__ == '__main__':
    run_cli(main)

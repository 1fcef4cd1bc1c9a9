#!/usr/bin/env python
"""One image's alignment by SDAN as a panel: reference, aligned X', offsets, masks, zoom.

    python tools/analysis_tools/visualize_alignment.py CONFIG CHECKPOINT --img shot.dng
        --out panel.png [--roi Y X H W] [--cfg-options k=v ...]

Panel, left to right, all on the input grid: the reference the model aligns to (the config's
``ref_mode``: for a bare RAW file the self reference), X' (the aligned LR image the align loss
supervises), the offsets as flow colours (mmcv's ``flow2rgb``: hue = direction, saturation =
length; squared offsets are one (dy, dx) per pixel, per-point ones are averaged over the 3x3
window), the mask M' (white where the aligned sample lies inside the input), the HR mask M and
the zoomed output, both brought down to the input grid (:mod:`mmzoom.visualization`). The
public SDAN code logs the same images during training (``AlignmentVisHook`` does so here); they
show whether the offsets are smooth and where the alignment runs out of the image.
"""
import os
import os.path as osp
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools'))

import mmzoom  # noqa: E402,F401
from mmzoom.utils.cli import CliError, OneLineParser, load_config, require_file, run_cli  # noqa


def parse_args(argv: Optional[List[str]]):
    from mmengine.config import DictAction
    parser = OneLineParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--img', required=True, help='RAW file or image the config takes')
    parser.add_argument('--out', required=True, help='panel image (.png)')
    parser.add_argument('--roi', type=int, nargs=4, metavar=('Y', 'X', 'H', 'W'),
                        help='only this region of the input (input pixels, even for a mosaic)')
    parser.add_argument('--max-side', type=int, default=1024,
                        help='without --roi, a larger input is cut to its centre of this many '
                        'input pixels per side (default 1024: a 5 x 1024 px panel; 0 = whole '
                        'input, whose panel and memory grow with the frame)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    import cv2
    import torch
    from infer import check_input_kind, crop_batch, input_channels, load_input, \
        region_of_interest
    from mmagic.apis.inferencers import ImageSuperResolutionInferencer
    from mmzoom.utils.checkpoint import CheckpointMismatch, read_state_dict
    from mmzoom.visualization import PANEL_COLUMNS

    args = parse_args(argv)
    args.zoom_crop = None
    cfg = load_config(args.config, args.cfg_options)
    require_file(args.checkpoint, 'checkpoint')
    require_file(args.img, 'input image')
    if not args.out.lower().endswith('.png'):
        raise CliError(f'--out {args.out}: the panel is written as PNG; name it .png')
    try:
        read_state_dict(args.checkpoint)
        inferencer = ImageSuperResolutionInferencer(cfg, args.checkpoint, device='cpu')
    except CheckpointMismatch as err:
        raise CliError(f'{args.checkpoint}: {err}') from err
    model = inferencer.model
    if type(model).__name__ != 'SDAN':
        raise CliError(f'{args.config} builds {type(model).__name__}, not SDAN: there is no '
                       'alignment to show')
    check_input_kind(args.img, input_channels(model), args.config)
    inputs, data_samples = load_input(inferencer, args.img, None)
    grid = 2 if inputs.shape[1] == 1 else 1
    height, width = inputs.shape[-2:]
    if not args.roi and args.max_side and max(height, width) > args.max_side:
        h, w = (min(v, args.max_side) // grid * grid for v in (height, width))
        args.roi = ((height - h) // 2 // grid * grid, (width - w) // 2 // grid * grid, h, w)
        print(f'{args.img}: {width}x{height} input, showing its centre {w}x{h} (--roi or '
              '--max-side 0 for another region or all of it)', flush=True)
    roi = region_of_interest(args, height, width, grid=grid)
    if roi:
        inputs, data_samples = crop_batch(inputs, data_samples, roi)
    from mmzoom.apis.sdan_tiling import sdan_tiled_forward
    try:
        with torch.no_grad():
            if model.uses_tiles(inputs):  # the editor's tiled path, with a progress bar
                out = sdan_tiled_forward(model.generator, inputs,
                                         model.reference_fn(inputs, data_samples),
                                         model.tile.size, progress=True)
            else:
                out = model.infer(inputs, data_samples)
            reference = model.reference(inputs, data_samples, training=False)
    except ValueError as err:  # e.g. a reference mode the input cannot give
        raise CliError(f'{args.img}: {err}') from err
    prep = model.data_preprocessor

    def to_unit(t):  # the network's normalised images -> 0..1
        return (t * prep.std + prep.mean) / 255.0

    from mmzoom.visualization import alignment_panel
    image = alignment_panel(to_unit(reference[0]), to_unit(out.aligned_lr[0]), out.offset[0],
                            out.mask_lr[0], out.mask_hr[0], to_unit(out.output[0]))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    cv2.imwrite(args.out, image[..., ::-1])
    offsets = out.offset.abs()
    print(f'{args.img}: input {inputs.shape[-1]}x{inputs.shape[-2]}, |offset| mean '
          f'{offsets.mean():.2f} px, max {offsets.max():.2f} px, M\' covers '
          f'{out.mask_lr.mean() * 100:.1f}% of the input; panel ({" | ".join(PANEL_COLUMNS)}) '
          f'-> {args.out}')


if __name__ == '__main__':
    run_cli(main)

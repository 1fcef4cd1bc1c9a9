#!/usr/bin/env python
"""Zoom images (or camera RAW files) with a trained model, in tiles, streaming the output.

    python tools/infer.py CONFIG CHECKPOINT --img shot.ARW --out zoomed.tif     # 16-bit TIFF
    python tools/infer.py CONFIG CHECKPOINT --img LR.png --out SR.png [--bits 16]
    python tools/infer.py CONFIG CHECKPOINT --img LR_DIR --out OUT_DIR [--ext .tif]
    python tools/infer.py CONFIG CHECKPOINT --img shot.dng --zoom-crop 4 --out tele.png
    python tools/infer.py CONFIG CHECKPOINT --img shot.dng --roi Y X H W --out crop.png

The input is read with the config's ``inference_pipeline`` (MMagic's
``ImageSuperResolutionInferencer`` preprocessing), the model runs in tiles
(``model.test_cfg.tile``; ``--tile SIZE`` overrides it, ``--tile 0`` runs the whole image) and
the output is written band by band (mmzoom.apis.writers), so memory stays that of a tile
whatever the image size. SDAN's tiles are exact (mmzoom.apis.sdan_tiling).

With ``--backend onnxruntime`` CHECKPOINT is a file exported by
tools/deployment/pytorch2onnx.py: ONNX Runtime runs the network (SDAN's tiles through its
exported stages, exact as in PyTorch); the config still gives the pipeline, the normalisation
and the self reference, so the image is the PyTorch path's.

For a camera RAW input the model predicts an image with the white balance removed, as SR-RAW's
targets are; the white balance of the file itself (computed as compute_wb.py computes wb.txt)
is re-applied unless ``--no-wb``.
"""
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

import mmzoom  # noqa: E402,F401
from mmzoom.utils.checkpoint import (CheckpointMismatch, check_checkpoint_matches,  # noqa: E402
                                     explain_load_error, is_weights_only_error, read_state_dict)
from mmzoom.utils.cli import (CliError, OneLineParser, load_config, require_file,  # noqa: E402
                              run_cli)
from mmengine.config import DictAction  # noqa: E402

RAW_EXTS = ('.arw', '.dng', '.nef', '.cr2', '.cr3', '.raf', '.orf', '.rw2', '.pef')
IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff') + RAW_EXTS


def parse_args(argv: Optional[List[str]]):
    parser = OneLineParser(description='Zoom images or camera RAW files with a trained model')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--img', required=True, help='input image, RAW file or folder of them')
    parser.add_argument('--ref', help='reference image, for reference-based models')
    parser.add_argument('--out', required=True,
                        help='output image (.png, .tif/.tiff, .jpg) or folder for a folder input')
    parser.add_argument('--ext', default=None,
                        help='output extension for a folder input (default .png, .tif if --bits '
                        '16)')
    parser.add_argument('--bits', type=int, choices=(8, 16), default=None,
                        help='output bit depth (default: 16 for TIFF, 8 for PNG/JPEG)')
    parser.add_argument('--tile', type=int, default=None,
                        help='tile side in input pixels (0 = whole image; default: '
                        'model.test_cfg.tile of the config)')
    parser.add_argument('--roi', type=int, nargs=4, metavar=('Y', 'X', 'H', 'W'),
                        help='zoom only this region of the input (input pixels; even values '
                        'for a RAW mosaic)')
    parser.add_argument('--zoom-crop', type=float, default=None, metavar='F',
                        help='zoom only the centre 1/F of each side (what an F x tele lens sees)')
    parser.add_argument('--no-wb', action='store_true',
                        help='RAW input: keep the white-balance-free prediction')
    parser.add_argument('--force', action='store_true', help='overwrite existing outputs')
    parser.add_argument('--allow-partial', action='store_true',
                        help='load a checkpoint that does not match the model (matching keys only)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--device', default=None, help='cpu, cuda, cuda:1 ... (default: auto)')
    parser.add_argument('--backend', choices=('pytorch', 'onnxruntime'), default='pytorch',
                        help='run the network with PyTorch (CHECKPOINT a .pth) or ONNX Runtime '
                        '(CHECKPOINT an exported .onnx)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries (e.g. those the checkpoint was trained with)')
    args = parser.parse_args(argv)
    if args.roi and args.zoom_crop:
        parser.error('--roi and --zoom-crop exclude each other')
    if args.zoom_crop is not None and args.zoom_crop < 1:
        parser.error(f'--zoom-crop must be >= 1, got {args.zoom_crop}')
    if args.tile is not None and args.tile < 0:
        parser.error(f'--tile must be >= 0, got {args.tile}')
    return args


def plan_jobs(args) -> List[Tuple[str, str]]:
    """(input, output) pairs, with every output checked before any model is built."""
    from mmzoom.apis.writers import OutputError, output_format
    if osp.isdir(args.img):
        ext = args.ext or ('.tif' if args.bits == 16 else '.png')
        ext = ext if ext.startswith('.') else '.' + ext
        jobs = [(osp.join(args.img, f), osp.join(args.out, osp.splitext(f)[0] + ext))
                for f in sorted(os.listdir(args.img)) if f.lower().endswith(IMAGE_EXTS)]
        if not jobs:
            raise CliError(f'no images ({", ".join(IMAGE_EXTS)}) in folder {args.img}')
        if osp.isfile(args.out):
            raise CliError(f'--out {args.out} is a file; a folder input needs an output folder')
    else:
        jobs = [(require_file(args.img, 'input image'), args.out)]
        if osp.isdir(args.out):
            raise CliError(f'--out {args.out} is a folder; give an output file name')
    try:
        for _, dst in jobs:
            output_format(dst, args.bits)
    except OutputError as err:
        raise CliError(str(err)) from err
    existing = [dst for _, dst in jobs if osp.exists(dst)]
    if existing and not args.force:
        more = f' (and {len(existing) - 1} more)' if len(existing) > 1 else ''
        raise CliError(f'output {existing[0]} exists{more}; pass --force to overwrite')
    return jobs


def region_of_interest(args, height: int, width: int, grid: int) -> Optional[Tuple[int, ...]]:
    """(y, x, h, w) to crop from an input of height x width, or None for the whole input."""
    if args.zoom_crop:
        h = int(height / args.zoom_crop) // grid * grid
        w = int(width / args.zoom_crop) // grid * grid
        if h < grid or w < grid:
            raise CliError(f'--zoom-crop {args.zoom_crop} leaves less than {grid} px of a '
                           f'{width}x{height} input')
        return ((height - h) // 2 // grid * grid, (width - w) // 2 // grid * grid, h, w)
    if not args.roi:
        return None
    y, x, h, w = args.roi
    if h <= 0 or w <= 0 or y < 0 or x < 0 or y + h > height or x + w > width:
        raise CliError(f'--roi {y} {x} {h} {w} is not inside the {width}x{height} input '
                       f'(rows 0..{height}, columns 0..{width})')
    if grid > 1 and any(v % grid for v in (y, x, h, w)):
        raise CliError(f'--roi {y} {x} {h} {w}: a RAW mosaic needs even values (Bayer phase)')
    return y, x, h, w


RAW_CONFIG = 'configs/sdan/sdan_x4c64b16-raw_1xb8-300e_srraw.py'
RGB_CONFIG = 'configs/sdan/sdan_x4c64b16-rgb_1xb8-300e_srraw.py'


def check_input_kind(src: str, in_channels: Optional[int], config: str) -> None:
    """One line, before decoding, when the file is not what the config's model takes (a photo
    given to a RAW model, a RAW file given to an RGB model); a warning for an image the
    pipeline will convert (16-bit or greyscale PNG read as 8-bit RGB)."""
    from mmzoom.raw import diagnose_raw_file, image_kind
    try:
        with open(src, 'rb') as f:
            head = f.read(32)
    except OSError as err:
        raise CliError(f'cannot read {src}: {err.strerror}') from err
    if not head:
        raise CliError(f'{src} is empty (0 bytes)')
    kind = image_kind(head)
    is_raw_name = src.lower().endswith(RAW_EXTS)
    if in_channels == 1 and (kind or not is_raw_name):
        what = kind or 'not a camera RAW file'
        if is_raw_name:
            what = diagnose_raw_file(src).replace('is ', '', 1)
        raise CliError(f'{src} is {what}, but {config} zooms camera RAW files (a 1-channel '
                       'Bayer mosaic); zoom photos with an RGB-input config, e.g. '
                       f'{RGB_CONFIG}, and its checkpoint')
    if in_channels == 3 and is_raw_name:
        raise CliError(f'{src} is a camera RAW file, but {config} takes RGB images; zoom RAW '
                       f'files with a RAW-input SDAN config, e.g. {RAW_CONFIG}, and its '
                       'checkpoint, or develop the file to RGB first')
    if kind == 'a PNG image' and len(head) >= 26:
        bits, colour = head[24], head[25]
        if bits == 16 or colour in (0, 4):
            kind = f'{bits}-bit {"greyscale" if colour in (0, 4) else "colour"} PNG'
            note = ' (the grey channel copied to R, G and B)' if colour in (0, 4) else ''
            print(f'warning: {src} is a {kind}; the config\'s pipeline reads it as 8-bit '
                  f'RGB{note}, so the output is that of the 8-bit image', file=sys.stderr,
                  flush=True)


def input_channels(model) -> Optional[int]:
    """Channels of the model's input: its generator's ``in_channels`` or first convolution's."""
    import torch
    gen = getattr(model, 'generator', model)
    if getattr(gen, 'in_channels', None):
        return int(gen.in_channels)
    first = getattr(gen, 'conv_first', None)
    if not isinstance(first, torch.nn.Conv2d):
        first = next((m for m in gen.modules() if isinstance(m, torch.nn.Conv2d)), None)
    return first.in_channels if first is not None else None


def trim_note(data_samples, inputs) -> str:
    """'' or how many mosaic rows/columns the loader dropped (CFA phase, even sides)."""
    frame = data_samples.metainfo.get('img_frame_shape')
    if frame is None or inputs.shape[1] != 1:
        frame = None
    if frame is None:
        return ''
    frame = tuple(int(v) for v in (frame[0] if isinstance(frame[0], (list, tuple)) else frame))
    h, w = inputs.shape[-2:]
    if (h, w) == frame:
        return ''
    return (f'; mosaic {frame[1]}x{frame[0]} trimmed by {frame[1] - w} column(s) and '
            f'{frame[0] - h} row(s) to the RGGB phase and even sides')


def load_input(inferencer, src: str, ref: Optional[str]):
    """The normalised batch of one file: (inputs (1, C, H, W), data_samples)."""
    try:
        data = inferencer.preprocess(img=src, ref=ref)
    except Exception as err:  # decoding errors of rawpy/OpenCV/our loaders
        text = str(err).strip().splitlines()
        last = text[-1] if text else type(err).__name__
        raise CliError(last if last.startswith(src) else f'cannot read {src}: {last}') from err
    batch = inferencer.model.data_preprocessor(data)
    return batch['inputs'], batch['data_samples']


def crop_batch(inputs, data_samples, roi):
    """Crop the input (and a reference image in the data samples) to the region."""
    y, x, h, w = roi
    inputs = inputs[..., y:y + h, x:x + w].contiguous()
    if 'ref_img' in data_samples:  # the batch, stacked by MMagic's data preprocessor
        data_samples.set_data(dict(ref_img=data_samples.ref_img[..., y:y + h, x:x + w]))
    return inputs, data_samples


def zoom_file(inferencer, src: str, dst: str, args, tile) -> None:
    import numpy as np
    from mmzoom.apis import TileError
    from mmzoom.apis.inference import image_tiles, is_sdan, plan_zoom, zoom_tiles
    from mmzoom.apis.writers import OutputError, bands_from_tiles, check_output, write_image

    model = inferencer.model
    check_input_kind(src, input_channels(model), args.config)
    inputs, data_samples = load_input(inferencer, src, args.ref)
    trimmed = trim_note(data_samples, inputs)
    is_raw = src.lower().endswith(RAW_EXTS)
    mosaic = inputs.shape[1] == 1
    roi = region_of_interest(args, *inputs.shape[-2:], grid=2 if mosaic else 1)
    if roi:
        inputs, data_samples = crop_batch(inputs, data_samples, roi)
    try:
        plan = plan_zoom(model, inputs, tile)
        _, bits = check_output(dst, *plan.out_shape, args.bits)
    except (TileError, OutputError) as err:
        raise CliError(str(err)) from err
    factors = None
    if is_raw and is_sdan(model) and not args.no_wb:
        from mmzoom.raw import RawReadError, compute_wb_gains, wb_channel_factors
        # The config's inference pipeline computed them already (ComputeWbGains) when it renders
        # the self reference; otherwise compute them here, the same way.
        gains = (data_samples.metainfo.get('img_wb_gains') or [None])[0]
        try:
            gains = tuple(gains) if gains is not None else compute_wb_gains(src)
        except (RawReadError, FileNotFoundError) as err:
            raise CliError(str(err)) from err
        factors = wb_channel_factors(gains).astype(np.float32)
    wb = ''
    if factors is not None:
        wb = f'; white balance {gains[0]:.3f} {gains[1]:.3f} {gains[3]:.3f} (R G B) re-applied'
    print(f'{src}: {plan.describe()}{trimmed}{wb}', flush=True)
    # MMagic's destruct returns BGR when the pipeline declared the input's channel order
    # (LoadImageFromFile); mmzoom's SR-RAW loaders keep RGB and declare none.
    bgr = 'img_channel_order' in data_samples.metainfo
    from mmzoom.models.editors import ReferenceUnavailable
    tiles = zoom_tiles(model, inputs, data_samples, plan.tile, progress=not args.no_progress)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    try:
        write_image(dst, *plan.out_shape, bits,
                    bands_from_tiles(image_tiles(tiles, bits, bgr, factors), plan.out_shape[1]))
    except ReferenceUnavailable as err:  # e.g. ref_mode='lr_jpg' on a bare RAW file
        raise CliError(f'{src}: {err}') from err


def onnx_inferencer(cfg, args):
    """MMagic's inferencer of the config (pipeline, normaliser, self reference) whose generator
    is the exported network run by ONNX Runtime."""
    from mmagic.apis.inferencers import ImageSuperResolutionInferencer
    if not args.checkpoint.lower().endswith('.onnx'):
        raise CliError(f'--backend onnxruntime runs an exported .onnx file (tools/deployment/'
                       f'pytorch2onnx.py), got {args.checkpoint}')
    try:
        from mmzoom.apis.onnx_runtime import OnnxModelError, onnx_generator
    except ImportError as err:
        raise CliError(f'{err.name} is not installed: pip install -r requirements/deploy.txt') \
            from err
    inferencer = ImageSuperResolutionInferencer(cfg, None, device=args.device or 'cpu')
    model = inferencer.model
    try:
        model.generator = onnx_generator(model.generator, args.checkpoint,
                                         cfg.model.get('generator'), args.device)
    except OnnxModelError as err:
        raise CliError(str(err)) from err
    return inferencer


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    require_file(args.checkpoint, 'checkpoint')
    if args.ref:
        require_file(args.ref, 'reference image')
    jobs = plan_jobs(args)
    if args.allow_partial:
        cfg.model.allow_partial_load = True
    if args.tile is not None:
        cfg.model.setdefault('test_cfg', {})
        cfg.model.test_cfg['tile'] = args.tile or None

    from mmagic.apis.inferencers import ImageSuperResolutionInferencer
    from mmzoom.apis import TileError
    try:
        if args.backend == 'onnxruntime':
            inferencer = onnx_inferencer(cfg, args)
        else:
            read_state_dict(args.checkpoint)  # a truncated file: one line, before MMagic
            inferencer = ImageSuperResolutionInferencer(cfg, args.checkpoint,
                                                        device=args.device)
        if not args.allow_partial and args.backend == 'pytorch':
            check_checkpoint_matches(inferencer.model, args.checkpoint)
    except (TileError, CheckpointMismatch) as err:
        raise CliError(f'{args.checkpoint}: {err}' if str(err).startswith('the checkpoint')
                       else str(err)) from err
    except Exception as err:
        if is_weights_only_error(err):
            raise CliError(explain_load_error(args.checkpoint, err)) from err
        raise
    tile = getattr(inferencer.model, 'tile', None)
    if len(jobs) == 1:
        zoom_file(inferencer, *jobs[0], args, tile)
        print(f'wrote {jobs[0][1]}', flush=True)
        return
    # A folder: every readable file is processed; the broken ones are listed at the end.
    failed = []
    for src, dst in jobs:
        try:
            zoom_file(inferencer, src, dst, args, tile)
            print(f'wrote {dst}', flush=True)
        except CliError as err:
            print(f'error: {err}', file=sys.stderr, flush=True)
            failed.append(src)
    print(f'wrote {len(jobs) - len(failed)} of {len(jobs)} images to {args.out}')
    if failed:
        raise CliError(f'{len(failed)} of {len(jobs)} inputs failed: {", ".join(failed)}')


if __name__ == '__main__':
    run_cli(main)

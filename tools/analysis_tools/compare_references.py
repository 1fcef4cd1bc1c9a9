#!/usr/bin/env python
"""How close each inference reference of SDAN is to the training reference Y'.

    python tools/analysis_tools/compare_references.py CONFIG [--data-root ROOT] [--split test]
        [--cfg-options k=v ...]

SDAN aligns its LR features to a reference. Training feeds Y' (the HR camera JPG, white balance
removed, on the mosaic grid); at inference there is no Y'. For every pair of the config's test
set this prints the PSNR (RGB, 0..255) against Y' of

- ``self, gamma``: the bilinear demosaic of the linear mosaic raised to 1/2.2
  (``ref_mode='self', self_ref='gamma'``);
- ``self, render``: the mosaic rendered with the file's colour matrix and as-shot white balance,
  sRGB curve, white balance removed as from Y' (``self_ref='render'``, the configs' choice);
- ``lr_jpg``: the LR shot's camera JPG on the mosaic grid, white balance removed
  (``ref_mode='lr_jpg'``);

and their means. Y' also differs from any LR-side reference by the zoom itself (the HR shot
resolves more), so neither reaches infinity; the closer, the less the offset branch sees colours
it never saw in training.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')


def psnr(a, b) -> float:
    import numpy as np
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float('inf') if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def main(argv: Optional[List[str]] = None) -> int:
    sys.path.insert(0, ROOT)
    from mmengine.config import Config, DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--data-root', help='SR-RAW root (default: the config\'s)')
    parser.add_argument('--split', default='test')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    import mmzoom  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmagic.registry import DATASETS, MODELS
    from mmagic.structures import DataSample
    from mmzoom.models.editors.sdan import RENDER_KEYS

    init_default_scope('mmagic')
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    ds_cfg = cfg.test_dataloader.dataset
    if args.data_root:
        ds_cfg.data_root = args.data_root
    ds_cfg.split = args.split
    ds_cfg.pipeline = [step for step in ds_cfg.pipeline if step['type'] != 'PackInputs']
    from mmzoom.utils.cli import user_error
    try:
        dataset = DATASETS.build(ds_cfg)
    except (FileNotFoundError, ValueError) as err:
        known = user_error(err)
        if known is None and not isinstance(err, FileNotFoundError):
            raise
        print(f'error: {known or err}', file=sys.stderr)
        return 1
    model = MODELS.build(cfg.model)
    rows = []
    print('| pair | self, gamma | self, render | lr_jpg (LR camera JPG) |')
    print('|---|---|---|---|')
    for i in range(len(dataset)):
        sample = dataset[i]
        if sample['img'].shape[-1] != 1:
            print(f'error: {args.config} has RGB input: its self reference is the LR JPG '
                  'itself, there is nothing to compare', file=sys.stderr)
            return 1
        mosaic = torch.from_numpy(np.ascontiguousarray(sample['img'][..., 0]))[None, None]
        meta = DataSample(metainfo={k: [sample[k]] for k in RENDER_KEYS})
        scores = []
        for self_ref in ('gamma', 'render'):
            model.self_ref = self_ref
            with torch.no_grad():
                own = model.self_reference(mosaic / 255.0, meta)[0].permute(1, 2, 0).numpy()
            scores.append(psnr(own * 255, sample['ref']))
        scores.append(psnr(sample['lr_ref'], sample['ref']) if 'lr_ref' in sample
                      else float('nan'))
        rows.append(scores)
        print(f'| {sample["sequence"]} ({sample["hr_index"]}, {sample["lr_index"]}) | '
              + ' | '.join(f'{v:.2f} dB' for v in scores) + ' |')
    mean = np.nanmean(np.asarray(rows), axis=0)
    print(f'| mean of {len(rows)} | ' + ' | '.join(f'{v:.2f} dB' for v in mean) + ' |')
    return 0


if __name__ == '__main__':
    sys.exit(main())

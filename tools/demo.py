#!/usr/bin/env python
"""The README's first command: the whole workflow on built-in data, on CPU, in about two minutes.

1. writes a tiny DIV2K/Set5-layout dataset from scikit-image's photos (data/demo),
2. trains a tiny registered RNAN for 40 iterations with tools/train.py,
3. evaluates the last checkpoint with tools/test.py (PSNR/SSIM on Y),
4. super-resolves one test image with tools/infer.py (MMagic's inference API),
and prints where the work_dir and the output image are.
"""
import argparse
import os.path as osp
import subprocess
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'rnan', 'rnan_x2c16g2b2_1xb4-40i_demo.py')


def run(step: str, cmd: List[str]) -> None:
    print(f'\n=== {step}: {" ".join(osp.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)}',
          flush=True)
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f'demo failed at step "{step}" (exit code {result.returncode})')


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data', default='data/demo', help='demo dataset folder (under the repo)')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    args = parser.parse_args(argv)
    py = sys.executable
    data = osp.join(ROOT, args.data)
    work_dir = osp.join(ROOT, args.work_dir)
    if not osp.isfile(osp.join(data, 'DIV2K', 'meta_info_DIV2K800sub_GT.txt')):
        run('1/4 make demo data', [py, osp.join(ROOT, 'tools/dataset_converters/sisr/make_demo_dataset.py'),
                                   '--out', data])
    else:
        print(f'=== 1/4 make demo data: {args.data} exists, reused')
    opts = ['--cfg-options', f'data_root={args.data}',
            f'train_dataloader.dataset.data_root={args.data}/DIV2K',
            f'val_dataloader.dataset.data_root={args.data}/Set5',
            f'test_dataloader.dataset.data_root={args.data}/Set5']
    run('2/4 train', [py, osp.join(ROOT, 'tools/train.py'), CONFIG, '--work-dir', work_dir] + opts)
    ckpt = osp.join(work_dir, 'iter_40.pth')
    run('3/4 test', [py, osp.join(ROOT, 'tools/test.py'), CONFIG, ckpt, '--work-dir', work_dir,
                     '--out', osp.join(work_dir, 'test_metrics.json')] + opts)
    out_img = osp.join(work_dir, 'demo_sr_x2.png')
    run('4/4 infer', [py, osp.join(ROOT, 'tools/infer.py'), CONFIG, ckpt,
                      '--img', osp.join(data, 'Set5', 'LRbicx2', 'astronaut.png'), '--out', out_img])
    print(f'\ndemo finished\n  work_dir:     {work_dir}\n  checkpoint:   {ckpt}\n'
          f'  metrics:      {osp.join(work_dir, "test_metrics.json")}\n  output image: {out_img}')


if __name__ == '__main__':
    main()

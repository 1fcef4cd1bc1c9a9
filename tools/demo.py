#!/usr/bin/env python
"""The README's first command: mmzoom's main job, then SISR, on generated data, on CPU.

SDAN on camera RAW (the main job):
1. writes a small SR-RAW-shaped tree from scikit-image's photos (data/demo_srraw: Bayer DNGs and
   camera JPGs of seven focal lengths, tform.txt, wb.txt),
2. trains a tiny SDAN RAW 4x for 200 iterations with tools/train.py
   (configs/sdan/sdan_x4c16b2-raw_1xb2-200i_demo.py, made for that tree: no overrides),
3. evaluates it with tools/test.py under the SR-RAW protocol (white balance re-applied, borders
   cropped, PSNR/SSIM on RGB and Y; LPIPS too when torchvision's AlexNet weights are present),
4. zooms one bare DNG with tools/infer.py to a PNG, the camera's white balance re-applied;

RNAN single-image SR (``--skip-rnan`` leaves it out):
5. writes a tiny DIV2K/Set5-layout dataset (data/demo), trains a tiny RNAN for 40 iterations,
   tests it (PSNR/SSIM on Y) and super-resolves one image;

and prints where everything is and what the figures mean.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import time
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SDAN_CONFIG = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c16b2-raw_1xb2-200i_demo.py')
RNAN_CONFIG = osp.join(ROOT, 'configs', 'rnan', 'rnan_x2c16g2b2_1xb4-40i_demo.py')


def _rel(path: str) -> str:
    return osp.relpath(path, ROOT) if path.startswith(ROOT) else path


def run(step: str, cmd: List[str]) -> None:
    print(f'\n=== {step}: {" ".join(_rel(c) for c in cmd)}', flush=True)
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f'demo failed at step "{step}" (exit code {result.returncode})')


def _metrics(path: str) -> str:
    with open(path) as f:
        metrics = json.load(f)
    return ', '.join(f'{k.split("/")[-1]} {v:.4g}' for k, v in metrics.items())


def sdan_demo(py: str, data: str, work_dir: str) -> List[str]:
    if not osp.isfile(osp.join(data, 'test', '00003', 'wb.txt')):
        run('SDAN 1/4 make an SR-RAW-shaped tree',
            [py, osp.join(ROOT, 'tools', 'dataset_converters', 'srraw', 'make_demo_dataset.py'),
             '--out', data, '--size', '512', '768', '--pattern', 'GRBG'])
    else:
        print(f'=== SDAN 1/4 make an SR-RAW-shaped tree: {_rel(data)} exists, reused')
    opts = ['--cfg-options'] + [f'{k}.dataset.data_root={data}' for k in
                                ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    run('SDAN 2/4 train', [py, osp.join(ROOT, 'tools', 'train.py'), SDAN_CONFIG,
                           '--work-dir', work_dir] + opts)
    ckpt = osp.join(work_dir, 'iter_200.pth')
    metrics = osp.join(work_dir, 'test_metrics.json')
    sys.path.insert(0, ROOT)
    from mmzoom.evaluation.metrics.lpips import backbone_weights_file
    lpips = [] if osp.isfile(backbone_weights_file('alex')) else ['--no-lpips']
    if lpips:
        print(f'\n(LPIPS left out: {backbone_weights_file("alex")} is absent, and nothing is '
              'downloaded; place it there to get LPIPS too)')
    run('SDAN 3/4 test (SR-RAW protocol)',
        [py, osp.join(ROOT, 'tools', 'test.py'), SDAN_CONFIG, ckpt, '--work-dir', work_dir,
         '--out', metrics] + lpips + opts)
    dng = osp.join(data, 'test', '00003', '00006.dng')
    zoomed = osp.join(work_dir, 'zoomed_00006.png')
    run('SDAN 4/4 zoom a bare DNG', [py, osp.join(ROOT, 'tools', 'infer.py'), SDAN_CONFIG, ckpt,
                                     '--img', dng, '--out', zoomed, '--force'])
    return [
        'SDAN RAW 4x (configs/sdan/sdan_x4c16b2-raw_1xb2-200i_demo.py)',
        f'  data:         {_rel(data)} (generated; truth in demo_truth.json)',
        f'  work_dir:     {_rel(work_dir)} (logs, checkpoints, config)',
        f'  checkpoint:   {_rel(ckpt)}',
        f'  test metrics: {_rel(metrics)}: {_metrics(metrics)}',
        f'  zoomed RAW:   {_rel(zoomed)} (4x of {_rel(dng)}, white balance re-applied)',
    ]


def rnan_demo(py: str, data: str, work_dir: str) -> List[str]:
    if not osp.isfile(osp.join(data, 'DIV2K', 'meta_info_DIV2K800sub_GT.txt')):
        run('RNAN 1/4 make demo data',
            [py, osp.join(ROOT, 'tools', 'dataset_converters', 'sisr', 'make_demo_dataset.py'),
             '--out', data])
    else:
        print(f'=== RNAN 1/4 make demo data: {_rel(data)} exists, reused')
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={data}/DIV2K',
            f'val_dataloader.dataset.data_root={data}/Set5',
            f'test_dataloader.dataset.data_root={data}/Set5']
    run('RNAN 2/4 train', [py, osp.join(ROOT, 'tools', 'train.py'), RNAN_CONFIG,
                           '--work-dir', work_dir] + opts)
    ckpt = osp.join(work_dir, 'iter_40.pth')
    metrics = osp.join(work_dir, 'test_metrics.json')
    run('RNAN 3/4 test', [py, osp.join(ROOT, 'tools', 'test.py'), RNAN_CONFIG, ckpt,
                          '--work-dir', work_dir, '--out', metrics] + opts)
    out_img = osp.join(work_dir, 'demo_sr_x2.png')
    run('RNAN 4/4 infer', [py, osp.join(ROOT, 'tools', 'infer.py'), RNAN_CONFIG, ckpt, '--img',
                           osp.join(data, 'Set5', 'LRbicx2', 'astronaut.png'), '--out', out_img,
                           '--force'])
    return [
        'RNAN x2 (configs/rnan/rnan_x2c16g2b2_1xb4-40i_demo.py)',
        f'  work_dir:     {_rel(work_dir)}',
        f'  test metrics: {_rel(metrics)}: {_metrics(metrics)}',
        f'  output image: {_rel(out_img)}',
    ]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data', default='data', help='where the demo datasets go')
    parser.add_argument('--work-dir', default='work_dirs', help='where the demo runs go')
    parser.add_argument('--skip-rnan', action='store_true', help='run only the SDAN part')
    args = parser.parse_args(argv)
    py = sys.executable
    data, work = osp.join(ROOT, args.data), osp.join(ROOT, args.work_dir)
    start = time.time()
    lines = sdan_demo(py, osp.join(data, 'demo_srraw'), osp.join(work, 'demo_sdan'))
    if not args.skip_rnan:
        lines += [''] + rnan_demo(py, osp.join(data, 'demo'), osp.join(work, 'demo'))
    print(f'\ndemo finished in {time.time() - start:.0f} s\n')
    print('\n'.join(lines))
    print('\nThese are a few iterations of tiny models on CPU: the figures show that training, '
          'evaluation and\ninference run end to end, not what the methods reach (see '
          'configs/sdan/README.md and\nconfigs/rnan/README.md for the full configs).')


if __name__ == '__main__':
    main()

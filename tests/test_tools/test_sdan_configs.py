"""Every SDAN config (Tables 1 and 2) through the public tools on a generated SR-RAW tree:
tools/train.py reads DNGs through rawpy and trains; tools/test.py reports PSNR/SSIM/LPIPS;
tools/infer.py zooms a bare RAW file."""
import glob
import json
import os.path as osp

import cv2
import pytest
from mmengine.config import Config

from conftest import ROOT, run_tool
from mmagic.registry import MODELS

# The paper's rows (the demo config, made for `make demo`'s tree, is test_demo.py's).
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', 'sdan', '*.py'))
                 if not p.endswith('_demo.py'))
# Tiny model and patches so a CPU runs an epoch in seconds; everything else is the config's.
TINY = ['model.generator.mid_channels=16', 'model.generator.num_blocks=1',
        'model.pixel_loss.border=8', 'model.align_loss.border=2',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'test_dataloader.num_workers=0', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=5',
        'default_hooks.checkpoint.interval=1',
        'param_scheduler.periods=[1]', 'param_scheduler.restart_weights=[1]',
        'train_dataloader.dataset.pipeline.4.gt_patch_size=128',
        'val_dataloader.dataset.pipeline.3.gt_patch_size=128']


@pytest.fixture(scope='module')
def srraw_root(tmp_path_factory):
    from mmzoom.raw.synthetic import make_demo_srraw
    root = str(tmp_path_factory.mktemp('srraw'))
    # GRBG: the pipeline must bring a non-RGGB camera to the canonical phase.
    make_demo_srraw(root, size=(512, 768), pattern='GRBG', raw_ext='dng')
    return root


def _data_opts(root):
    return [f'{k}.dataset.data_root={root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def test_every_config_builds_and_full_sdan_has_the_public_parameter_count():
    assert len(CONFIGS) == 7
    for path in CONFIGS:
        cfg = Config.fromfile(path)
        model = MODELS.build(cfg.model)
        n = sum(p.numel() for p in model.parameters())
        if osp.basename(path).startswith('sdan_x4c64b16-raw'):
            assert abs(n - 1.67e6) / 1.67e6 < 0.05, n


@pytest.mark.parametrize('config', glob.glob(osp.join(ROOT, 'configs', 'sdan', '*.py')),
                         ids=lambda p: osp.basename(p)[:-3])
def test_both_loss_terms_shave_the_same_border(config):
    """X' (input grid) and the zoom (HR grid) leave out the same region at every scale."""
    model = Config.fromfile(config).model
    assert model.align_loss.border * model.generator.upscale_factor == model.pixel_loss.border


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: osp.basename(p)[:-3])
def test_config_trains_with_tools_train(config, srraw_root, tmp_path):
    work = str(tmp_path / 'w')
    run_tool(['tools/train.py', config, '--work-dir', work, '--cfg-options'] + TINY +
             _data_opts(srraw_root), timeout=400)
    assert osp.exists(osp.join(work, 'epoch_1.pth'))
    # save_best names the protocol-stamped validation PSNR the dataset base defines.
    assert glob.glob(osp.join(work, 'best_SRRAW-val-centre1024_PSNR_rgb_wb_b32_epoch_1.pth'))


@pytest.mark.slow
@pytest.mark.parametrize('name', ['sdan_x4c64b16-raw_1xb8-300e_srraw',
                                  'sdan_x4c64b16-rgb_1xb8-300e_srraw'])
def test_tools_test_reports_psnr_ssim_lpips_and_infer_zooms_a_raw(name, srraw_root, tmp_path):
    config = osp.join(ROOT, 'configs', 'sdan', name + '.py')
    work = str(tmp_path / 'w')
    run_tool(['tools/train.py', config, '--work-dir', work, '--cfg-options'] + TINY +
             _data_opts(srraw_root), timeout=400)
    ckpt = osp.join(work, 'epoch_1.pth')
    # No AlexNet weights offline: LPIPS runs its real code with a random backbone, named so.
    lpips_opts = ['test_evaluator.metrics.2.pnet_rand=True',
                  'test_evaluator.metrics.7.pnet_rand=True']
    results = {}
    for mode in ('self', 'oracle'):
        out = str(tmp_path / f'{mode}.json')
        run_tool(['tools/test.py', config, ckpt, '--work-dir', work, '--out', out,
                  '--cfg-options', f'model.test_cfg.ref_mode={mode}'] + TINY + lpips_opts +
                 _data_opts(srraw_root), timeout=400)
        results[mode] = json.load(open(out))
    keys = set(results['self'])
    for metric in ('PSNR_rgb_wb_b32', 'SSIM_rgb_wb_b32', 'LPIPS_random_backbone',
                   'PSNR_y_wb_b32', 'SSIM_y_wb_b32'):
        assert any(metric in k for k in keys), (metric, keys)
    # The oracle reference is the ground truth's: it must change the numbers.
    assert results['self'] != results['oracle']

    if name.endswith('raw_1xb8-300e_srraw'):
        raw = sorted(glob.glob(osp.join(srraw_root, 'test', '*', '00006.dng')))[0]
        sr = str(tmp_path / 'sr.png')
        run_tool(['tools/infer.py', config, ckpt, '--img', raw, '--out', sr,
                  '--cfg-options'] + TINY[:2])
        import rawpy
        with rawpy.imread(raw) as r:
            h, w = r.raw_image_visible.shape
        img = cv2.imread(sr)
        # RGGB phase from GRBG costs one column; sides trimmed to even.
        assert img.shape == (4 * (h - h % 2), 4 * ((w - 1) - (w - 1) % 2), 3)


def test_mmagic_image_hook_saves_the_sr_raw_colours_unswapped(tmp_path):
    """The SR-RAW pipeline is RGB end to end: a red target must be saved red (MMagic's
    visualizer swaps channels by default, for its BGR pipelines)."""
    import torch
    from mmagic.registry import VISUALIZERS
    from mmagic.structures import DataSample
    every = glob.glob(osp.join(ROOT, 'configs', '*', '*srraw*.py'))
    assert every and all(Config.fromfile(p).visualizer.bgr2rgb is False for p in every)
    cfg = Config.fromfile(CONFIGS[0]).visualizer
    cfg.update(name='srraw_rgb_check', save_dir=str(tmp_path),
               vis_backends=[dict(type='LocalVisBackend')])
    visualizer = VISUALIZERS.build(cfg)
    red = torch.zeros(3, 8, 8)
    red[0] = 255
    visualizer.add_datasample(DataSample(gt_img=red, gt_path='shot.png',
                                         output=DataSample(pred_img=red)), step=1)
    saved = glob.glob(str(tmp_path / '**' / 'shot_1.png'), recursive=True)
    assert len(saved) == 1, saved
    bgr = cv2.imread(saved[0])
    assert (bgr[..., 2] == 255).all() and (bgr[..., :2] == 0).all()

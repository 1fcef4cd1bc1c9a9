"""The RNAN paper configs and the comparison configs: they build, follow the benchmark protocol,
and train/test through the real tools (tiny model, generated data)."""
import glob
import json
import os
import os.path as osp
import re

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import ROOT, run_tool
from mmagic.registry import MODELS

RNAN_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'rnan', 'rnan_x*_div2k.py')))
COMPARISON_CONFIGS = sorted(
    p for name in ('srcnn', 'edsr', 'rdn')
    for p in glob.glob(osp.join(ROOT, 'configs', name, f'{name}_x*_div2k.py')))
BENCHMARK_SETS = ['Set5', 'Set14', 'BSDS100', 'Urban100']
TINY = dict(mid_channels=16, num_groups=2, num_blocks=2)


def _name(path):
    return osp.basename(path)[:-3]


def _scale(path):
    return int(re.search(r'_x(\d)', osp.basename(path)).group(1))


def test_the_expected_configs_exist():
    names = {_name(p) for p in RNAN_CONFIGS}
    for s in (2, 3, 4):
        assert f'rnan_x{s}c64g20b10_1xb16-1000k_div2k' in names
        assert f'rnan_x{s}c64g20b10-selfensemble_1xb16-1000k_div2k' in names
    assert {'rnan_x3c64g20b10_1xb16-1000k-x2init_div2k',
            'rnan_x4c64g20b10_1xb16-1000k-x2init_div2k'} <= names
    assert len(COMPARISON_CONFIGS) == 7, COMPARISON_CONFIGS  # SRCNN x4, EDSR and RDN x2-x4


def test_metafile_lists_every_paper_config_and_no_invented_numbers():
    import yaml
    meta = yaml.safe_load(open(osp.join(ROOT, 'configs', 'rnan', 'metafile.yml')))
    listed = {m['Config'] for m in meta['Models']}
    assert listed == {osp.relpath(p, ROOT) for p in RNAN_CONFIGS}
    for model in meta['Models']:
        assert model['Name'] == _name(model['Config']) and 'Weights' not in model
        assert [r['Dataset'] for r in model['Results']] == BENCHMARK_SETS
        for result in model['Results']:
            assert result['Task'] == 'Image Super-Resolution'
            assert all(v is None for v in result['Metrics'].values())


@pytest.mark.parametrize('path', RNAN_CONFIGS + COMPARISON_CONFIGS, ids=_name)
def test_config_follows_the_benchmark_protocol(path):
    cfg = Config.fromfile(path)
    s = _scale(path)
    assert cfg.experiment_name == _name(path) and cfg.work_dir.endswith(_name(path))
    assert cfg.model.type == 'SISREditModel'
    assert cfg.model.test_cfg.round_output is True
    assert cfg.model.test_cfg.self_ensemble is ('selfensemble' in path)
    assert cfg.model.generator.upscale_factor == s
    assert cfg.test_cfg.type == 'MultiTestLoop'
    assert [osp.basename(d.dataset.data_root) for d in cfg.test_dataloader] == BENCHMARK_SETS
    for loader, evaluator, name in zip(cfg.test_dataloader, cfg.test_evaluator, BENCHMARK_SETS):
        assert loader.dataset.data_prefix == dict(img=f'LRbicx{s}', gt='GTmod12')
        assert [(m.type, m.crop_border, m.convert_to, m.prefix) for m in evaluator.metrics] == [
            ('PSNR', s, 'Y', name), ('SSIM', s, 'Y', name)]
    assert cfg.val_dataloader.dataset.data_root == 'data/Set5'
    assert cfg.val_dataloader.dataset.data_prefix.img == f'LRbicx{s}'
    assert cfg.default_hooks.checkpoint.save_best == 'Set5/PSNR'
    assert cfg.default_hooks.checkpoint.out_dir is None  # checkpoints stay in work_dir
    assert 'mmzoom' in cfg.custom_imports.imports
    train = cfg.train_dataloader
    assert train.batch_size == 16
    assert train.dataset.ann_file == 'meta_info_DIV2K800sub_GT.txt'
    assert train.dataset.data_prefix == dict(img=f'DIV2K_train_LR_bicubic/X{s}_sub',
                                             gt='DIV2K_train_HR_sub')


@pytest.mark.parametrize('path', RNAN_CONFIGS, ids=_name)
def test_rnan_config_training_setting_is_the_papers(path):
    cfg = Config.fromfile(path)
    s = _scale(path)
    steps = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert steps['SetValues'].dictionary.scale == s
    assert steps['PairedRandomCrop'].gt_patch_size == 48 * s
    assert {t.direction for t in cfg.train_dataloader.dataset.pipeline if t.type == 'Flip'} == {
        'horizontal', 'vertical'}
    assert 'RandomTransposeHW' in steps
    assert cfg.model.pixel_loss.type == 'L1Loss'
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))
    assert cfg.param_scheduler.milestones == [200000, 400000, 600000, 800000]
    assert cfg.param_scheduler.gamma == 0.5
    assert cfg.train_cfg.max_iters == 1000000
    gen = cfg.model.generator
    assert (gen.mid_channels, gen.num_groups, gen.num_blocks) == (64, 20, 10)
    if 'x2init' in path:
        assert 'rnan_x2c64g20b10_1xb16-1000k_div2k' in cfg.load_from
    else:
        assert cfg.load_from is None


@pytest.mark.parametrize('path', RNAN_CONFIGS + COMPARISON_CONFIGS, ids=_name)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    if cfg.model.generator.type == 'RNANNet':
        cfg.model.generator.update(TINY)
    init_default_scope(cfg.default_scope)  # as the Runner does
    model = MODELS.build(cfg.model)
    s = _scale(path)
    x = torch.rand(1, 3, 8, 6)
    with torch.no_grad():
        assert model(x, mode='tensor').shape == (1, 3, 8 * s, 6 * s)


def test_x2_weights_initialise_a_x4_model_except_the_upsampler():
    from mmengine.runner.checkpoint import load_state_dict
    x2 = MODELS.build(dict(type='RNANNet', upscale_factor=2, **TINY))
    x4 = MODELS.build(dict(type='RNANNet', upscale_factor=4, **TINY))
    new_stage = x4.upsample[1].upsample_conv.weight.clone()
    load_state_dict(x4, x2.state_dict(), strict=False)
    torch.testing.assert_close(x4.body[1].context.channel_add_conv[0].weight,
                               x2.body[1].context.channel_add_conv[0].weight)
    torch.testing.assert_close(x4.upsample[0].upsample_conv.weight,
                               x2.upsample[0].upsample_conv.weight)
    torch.testing.assert_close(x4.upsample[1].upsample_conv.weight, new_stage)


def test_benchmark_metrics_are_psnr_ssim_on_y_without_the_border():
    """What the configs' evaluators compute, against the BT.601 formula by hand."""
    import numpy as np
    from mmagic.registry import METRICS
    cfg = Config.fromfile(RNAN_CONFIGS[0])
    s = _scale(RNAN_CONFIGS[0])
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 256, (3, 16, 20)).astype(np.float32)  # BGR, as the metrics receive it
    pred = np.clip(gt + rng.normal(0, 6, gt.shape), 0, 255).round().astype(np.float32)
    pred[:, :s] = 0  # a border the protocol ignores

    def y(img):  # ITU-R BT.601 luma of 0..255 BGR, as MATLAB's rgb2ycbcr
        b, g, r = img
        return 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255

    diff = (y(gt) - y(pred))[s:-s, s:-s]
    expected = 10 * np.log10(255 ** 2 / np.mean(diff ** 2))
    psnr, ssim = (METRICS.build(m) for m in cfg.test_evaluator[0].metrics)
    sample = dict(gt_img=torch.from_numpy(gt), output=dict(pred_img=torch.from_numpy(pred)))
    psnr.process([], [sample])
    assert psnr.compute_metrics(psnr.results)['PSNR'] == pytest.approx(expected, abs=1e-3)
    ssim.process([], [sample])
    assert 0 < ssim.compute_metrics(ssim.results)['SSIM'] < 1


@pytest.fixture(scope='module')
def benchmark_root(demo_sisr_root, tmp_path_factory):
    """The four benchmark folder names, each holding the demo Set5 (two photos)."""
    root = tmp_path_factory.mktemp('benchmark')
    for name in BENCHMARK_SETS:
        os.symlink(osp.join(demo_sisr_root, 'Set5'), root / name)
    return str(root)


def _data_options(demo_root, bench_root):
    opts = [f'train_dataloader.dataset.data_root={demo_root}/DIV2K',
            'train_dataloader.num_workers=0', 'train_dataloader.batch_size=2',
            # the demo HR patches are 48 px: 12 px LR patches at x4
            'train_dataloader.dataset.pipeline.3.gt_patch_size=48',
            f'val_dataloader.dataset.data_root={bench_root}/Set5', 'val_dataloader.num_workers=0']
    for i, name in enumerate(BENCHMARK_SETS):
        opts += [f'test_dataloader.{i}.dataset.data_root={bench_root}/{name}',
                 f'test_dataloader.{i}.num_workers=0']
    return opts


@pytest.mark.slow
def test_rnan_x4_trains_and_tests_with_and_without_self_ensemble(demo_sisr_root, benchmark_root,
                                                                  tmp_path):
    plain = osp.join(ROOT, 'configs', 'rnan', 'rnan_x4c64g20b10_1xb16-1000k_div2k.py')
    plus = osp.join(ROOT, 'configs', 'rnan', 'rnan_x4c64g20b10-selfensemble_1xb16-1000k_div2k.py')
    work_dir = str(tmp_path / 'work')
    tiny = [f'model.generator.{k}={v}' for k, v in TINY.items()]
    opts = _data_options(demo_sisr_root, benchmark_root) + tiny
    run_tool(['tools/train.py', plain, '--work-dir', work_dir, '--cfg-options'] + opts + [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'optim_wrapper.optimizer.lr=0.002'])
    ckpt = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(ckpt)
    # The best-checkpoint rule found its metric (Set5/PSNR) during validation.
    assert glob.glob(osp.join(work_dir, 'best_Set5_PSNR_iter_2.pth'))

    results = {}
    for name, config in (('rnan', plain), ('rnan+', plus)):
        out = str(tmp_path / f'{name}.json')
        proc = run_tool(['tools/test.py', config, ckpt, '--work-dir', str(tmp_path / name),
                         '--out', out, '--cfg-options'] + opts)
        results[name] = json.load(open(out))
        assert 'Set5/PSNR' in proc.stdout + proc.stderr
    expected = {f'{s}/{m}' for s in BENCHMARK_SETS for m in ('PSNR', 'SSIM')}
    for metrics in results.values():
        assert set(metrics) == expected, metrics
        assert all(5 < metrics[f'{s}/PSNR'] < 60 and 0 < metrics[f'{s}/SSIM'] <= 1
                   for s in BENCHMARK_SETS), metrics
    assert results['rnan']['Set5/PSNR'] != results['rnan+']['Set5/PSNR'], results

    # MMagic's inferencer runs the same checkpoint with the self-ensemble (tools/infer.py takes
    # no --cfg-options: a user config inheriting RNAN+ sets the tiny size).
    tiny_plus = tmp_path / 'tiny_plus.py'
    size = ', '.join(f'{k}={v}' for k, v in TINY.items())
    tiny_plus.write_text(f'_base_ = {plus!r}\nmodel = dict(generator=dict({size}))\n')
    lr_path = osp.join(benchmark_root, 'Set5', 'LRbicx4', 'coffee.png')
    out = str(tmp_path / 'sr.png')
    run_tool(['tools/infer.py', str(tiny_plus), ckpt, '--img', lr_path, '--out', out])
    lr, sr = cv2.imread(lr_path), cv2.imread(out)
    assert sr.shape == (lr.shape[0] * 4, lr.shape[1] * 4, 3)

"""A checkpoint that does not fit the config's model is refused in one line by tools/infer.py
and tools/test.py (MMEngine itself loads non-strictly and would run with random weights)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import DEMO_CONFIG, ROOT, run_tool

SDAN_RAW = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')
SMALL = ['--cfg-options', 'model.generator.mid_channels=16', 'model.generator.num_blocks=1']


def save_model(cfg_path, path, **generator):
    from mmagic.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmagic')
    cfg = Config.fromfile(cfg_path).model
    cfg.generator.update(generator)
    torch.save(dict(state_dict=MODELS.build(cfg).state_dict(), meta={}), path)
    return path


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    d = tmp_path_factory.mktemp('ckpts')
    rnan = save_model(DEMO_CONFIG, str(d / 'rnan.pth'))
    rgb = save_model(SDAN_RAW, str(d / 'sdan_rgb.pth'), mid_channels=16, num_blocks=1,
                     in_channels=3)
    raw = save_model(SDAN_RAW, str(d / 'sdan_raw.pth'), mid_channels=16, num_blocks=1)
    truncated = str(d / 'truncated.pth')
    with open(raw, 'rb') as f, open(truncated, 'wb') as g:
        g.write(f.read()[:5000])
    return dict(rnan=rnan, rgb=rgb, raw=raw, truncated=truncated)


@pytest.fixture(scope='module')
def dng(tmp_path_factory):
    import glob
    from mmzoom.raw.synthetic import make_demo_srraw
    root = str(tmp_path_factory.mktemp('raw'))
    make_demo_srraw(root, size=(64, 96), raw_ext='dng', train_sequences=1, test_sequences=0)
    return sorted(glob.glob(osp.join(root, 'train', '*', '00006.dng')))[0]


def one_error_line(proc):
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    return errors[0]


@pytest.mark.slow
@pytest.mark.parametrize('which, message', [
    ('rnan', 'it looks like an RNAN checkpoint, the config builds an SDAN model'),
    ('rgb', 'e.g. generator.conv_first.0.weight: checkpoint (16, 3, 3, 3), model (16, 1, 3, 3)'),
    ('truncated', 'truncated or corrupt'),
])
def test_infer_refuses_a_checkpoint_of_another_model(ckpts, dng, tmp_path, which, message):
    proc = run_tool(['tools/infer.py', SDAN_RAW, ckpts[which], '--img', dng, '--out',
                     str(tmp_path / 'o.png')] + SMALL, check=False)
    line = one_error_line(proc)
    assert message in line and ckpts[which] in line, line
    assert not osp.exists(tmp_path / 'o.png')


@pytest.mark.slow
def test_allow_partial_loads_the_matching_keys(ckpts, dng, tmp_path):
    run_tool(['tools/infer.py', SDAN_RAW, ckpts['rgb'], '--img', dng, '--out',
              str(tmp_path / 'o.png'), '--allow-partial'] + SMALL)
    assert osp.exists(tmp_path / 'o.png')


@pytest.mark.slow
def test_test_refuses_a_checkpoint_of_another_model(ckpts, tmp_path):
    proc = run_tool(['tools/test.py', SDAN_RAW, ckpts['rnan'], '--work-dir', str(tmp_path)] +
                    SMALL, check=False)
    assert 'looks like an RNAN checkpoint' in one_error_line(proc)


@pytest.mark.slow
def test_train_refuses_a_load_from_of_another_model(ckpts, tmp_path):
    demo = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c16b2-raw_1xb2-200i_demo.py')
    proc = run_tool(['tools/train.py', demo, '--work-dir', str(tmp_path), '--cfg-options',
                     f'load_from={ckpts["rnan"]}'], check=False)
    line = one_error_line(proc)
    assert line.startswith(f'error: load_from {ckpts["rnan"]} does not match') and \
        'looks like an RNAN checkpoint' in line, line
    proc = run_tool(['tools/train.py', demo, '--work-dir', str(tmp_path), '--cfg-options',
                     f'load_from={ckpts["truncated"]}'], check=False)
    assert 'truncated or corrupt' in one_error_line(proc)


def test_the_mmagic_inferencer_refuses_a_checkpoint_of_another_model(ckpts):
    from mmagic.apis.inferencers import ImageSuperResolutionInferencer
    from mmzoom.utils import CheckpointMismatch
    cfg = Config.fromfile(SDAN_RAW)
    cfg.model.generator.update(mid_channels=16, num_blocks=1)
    with pytest.raises(CheckpointMismatch, match='looks like an RNAN checkpoint.*'
                       'allow_partial_load=True'):
        ImageSuperResolutionInferencer(cfg, ckpts['rnan'], device='cpu')
    ImageSuperResolutionInferencer(cfg, ckpts['raw'], device='cpu')  # the right one loads
    cfg.model.allow_partial_load = True  # asked for: the matching keys load
    model = ImageSuperResolutionInferencer(cfg, ckpts['rgb'], device='cpu').model
    state = torch.load(ckpts['rgb'], weights_only=True)['state_dict']
    torch.testing.assert_close(model.generator.body[0].conv1.weight,
                               state['generator.body.0.conv1.weight'])


def test_x2_initialised_configs_ask_for_partial_loading():
    for scale in (3, 4):
        cfg = Config.fromfile(osp.join(ROOT, 'configs', 'rnan',
                                       f'rnan_x{scale}c64g20b10_1xb16-1000k-x2init_div2k.py'))
        assert cfg.load_from and cfg.model.allow_partial_load is True

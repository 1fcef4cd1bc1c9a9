"""tools/infer.py on camera RAW files (DNGs that rawpy decodes): tiled and whole runs give the
same image, white balance from the file is re-applied, region options, and bad requests refused
in one line before any inference runs. MMagic's inferencer tiles through the editor."""
import glob
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import tifffile
from mmengine.config import Config

from conftest import SDAN_RAW_CONFIG as CONFIG, SMALL_SDAN as SMALL, run_tool


@pytest.fixture(scope='module')
def dng(tmp_path_factory):
    from mmzoom.raw.synthetic import make_demo_srraw
    root = str(tmp_path_factory.mktemp('raw'))
    make_demo_srraw(root, size=(120, 182), pattern='GRBG', raw_ext='dng', train_sequences=1,
                    test_sequences=0)
    return sorted(glob.glob(osp.join(root, 'train', '*', '00006.dng')))[0]


def infer(ckpt, dng, out, *extra, check=True):
    return run_tool(['tools/infer.py', CONFIG, ckpt, '--img', dng, '--out', out, '--no-progress']
                    + list(extra) + SMALL, check=check)


@pytest.mark.slow
def test_tiled_equals_whole_and_white_balance_is_reapplied(small_sdan_ckpt, dng, tmp_path):
    tiled, whole, nowb = (str(tmp_path / f'{n}.tif') for n in ('tiled', 'whole', 'nowb'))
    proc = infer(small_sdan_ckpt, dng, tiled, '--tile', '24')
    assert 'tiles of 24 px' in proc.stdout and 'white balance' in proc.stdout
    infer(small_sdan_ckpt, dng, whole, '--tile', '0')
    infer(small_sdan_ckpt, dng, nowb, '--tile', '0', '--no-wb')
    a, b = tifffile.imread(tiled), tifffile.imread(whole)
    # GRBG -> RGGB costs a column; 120 x 181 -> 120 x 180 mosaic; 16-bit TIFF 4x that.
    assert a.dtype == np.uint16 and a.shape == b.shape == (480, 720, 3)
    assert np.abs(a.astype(int) - b).max() <= 1  # float rounding, at most one 16-bit step

    from mmzoom.raw import compute_wb_gains, wb_channel_factors
    factors = wb_channel_factors(compute_wb_gains(dng))
    n = tifffile.imread(nowb).astype(np.float64)
    ok = (n > 2000) & (b < 65535)
    ratios = [np.median(b[..., c][ok[..., c]] / n[..., c][ok[..., c]]) for c in range(3)]
    np.testing.assert_allclose(ratios, factors, rtol=2e-3)
    assert factors[0] > 1.1  # the demo camera's red gain: a test that WB really moved


@pytest.mark.slow
def test_zoom_crop_and_roi(small_sdan_ckpt, dng, tmp_path):
    crop = str(tmp_path / 'crop.png')
    infer(small_sdan_ckpt, dng, crop, '--zoom-crop', '4')
    import cv2
    assert cv2.imread(crop).shape == (4 * 30, 4 * 44, 3)  # 120/4 and 180/4 -> even
    roi = str(tmp_path / 'roi.png')
    infer(small_sdan_ckpt, dng, roi, '--roi', '10', '20', '40', '60', '--tile', '16')
    assert cv2.imread(roi).shape == (160, 240, 3)


@pytest.mark.slow
@pytest.mark.parametrize('extra, out, message', [
    (['--tile', '12'], 'o.tif', 'multiple of 8'),
    (['--roi', '0', '0', '400', '20'], 'o.tif', 'not inside the 180x120 input'),
    (['--roi', '1', '0', '20', '20'], 'o.tif', 'even values'),
    (['--bits', '16'], 'o.jpg', 'JPEG cannot hold 16-bit'),
    ([], 'o.txt', 'must end in'),
    ([], 'exists.png', 'exists; pass --force'),
])
def test_bad_requests_are_one_line_before_inference(small_sdan_ckpt, dng, tmp_path, extra, out,
                                                     message):
    out = str(tmp_path / out)
    if out.endswith('exists.png'):
        open(out, 'wb').close()
    proc = infer(small_sdan_ckpt, dng, out, *extra, check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and message in errors[0], proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr
    assert ' -> output ' not in proc.stdout  # refused before the run started
    if out.endswith('exists.png'):
        assert os.path.getsize(out) == 0


def test_mmagic_inferencer_tiles_through_the_editor(small_sdan_ckpt, dng, tmp_path):
    from mmagic.apis.inferencers import ImageSuperResolutionInferencer
    results = {}
    for name, tile in (('tiled', dict(size=24)), ('whole', None)):
        cfg = Config.fromfile(CONFIG)
        cfg.model.generator.update(mid_channels=16, num_blocks=2)
        cfg.model.test_cfg['tile'] = tile
        inferencer = ImageSuperResolutionInferencer(cfg, small_sdan_ckpt, device='cpu')
        assert (inferencer.model.tile is None) == (tile is None)
        results[name] = inferencer(img=dng, result_out_dir=str(tmp_path / f'{name}.png'))
    a, b = (np.asarray(results[k][1] if isinstance(results[k], tuple) else results[k])
            for k in ('tiled', 'whole'))
    assert a.shape == (480, 720, 3)
    assert np.abs(a.astype(int) - b).max() <= 1


@pytest.mark.slow
def test_tools_test_tiles_from_the_config_on_a_test_only_tree(small_sdan_ckpt, tmp_path):
    # A tree with only a test split, as a downloaded SR-RAW test set is; tiles from the config
    # give the whole-image metrics.
    import json
    from mmzoom.raw.synthetic import make_demo_srraw
    root = str(tmp_path / 'srraw')
    make_demo_srraw(root, size=(256, 384), pattern='GRBG', raw_ext='dng', train_sequences=0,
                    test_sequences=1)
    metrics = {}
    for name, tile in (('tiled', 16), ('whole', 0)):
        out = str(tmp_path / f'{name}.json')
        proc = run_tool(['tools/test.py', CONFIG, small_sdan_ckpt, '--work-dir', str(tmp_path / name),
                         '--out', out] + SMALL +
                        [f'test_dataloader.dataset.data_root={root}',
                         'test_dataloader.num_workers=0',
                         'test_dataloader.persistent_workers=False',
                         'test_evaluator.metrics.2.pnet_rand=True',
                         'test_evaluator.metrics.7.pnet_rand=True',
                         f'model.test_cfg.tile={tile}'], timeout=400)
        metrics[name] = json.load(open(out))
    assert metrics['tiled'].keys() == metrics['whole'].keys()
    assert any('PSNR_rgb_wb_b32' in k for k in metrics['whole'])
    compared = [k for k in metrics['whole'] if 'random_backbone' not in k]  # redrawn per run
    assert len(compared) >= 4
    for key in compared:
        value = metrics['whole'][key]
        assert abs(metrics['tiled'][key] - value) <= 1e-3 * max(1, abs(value)), key


@pytest.mark.slow
def test_folder_run_processes_every_readable_file_and_lists_the_broken(small_sdan_ckpt, dng, tmp_path):
    import shutil
    folder = tmp_path / 'in'
    folder.mkdir()
    (folder / 'a_broken.dng').write_text('not a raw file')  # sorts first
    shutil.copy(dng, folder / 'b_good.dng')
    (folder / 'c_empty.dng').write_bytes(b'')
    out = tmp_path / 'out'
    proc = infer(small_sdan_ckpt, str(folder), str(out), '--tile', '0', check=False)
    assert proc.returncode == 2
    assert sorted(os.listdir(out)) == ['b_good.png']
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert any('a_broken.dng' in e for e in errors) and any('c_empty.dng' in e for e in errors)
    assert '2 of 3 inputs failed' in errors[-1]
    assert 'wrote 1 of 3 images' in proc.stdout


@pytest.mark.slow
def test_the_readme_inferencer_writes_the_colours_infer_writes(small_sdan_ckpt, dng, tmp_path):
    # README: import mmzoom first, then MMagic's task inferencer; its PNG must be the
    # white-balance-free prediction in the right channel order (it once swapped R and B).
    code = ('import mmzoom, sys\n'
            'from mmengine.config import Config\n'
            'from mmagic.apis.inferencers import ImageSuperResolutionInferencer\n'
            'cfg = Config.fromfile(sys.argv[1])\n'
            'cfg.model.generator.update(mid_channels=16, num_blocks=2)\n'
            'ImageSuperResolutionInferencer(cfg, sys.argv[2], device="cpu")'
            '(img=sys.argv[3], result_out_dir=sys.argv[4])\n')
    api = str(tmp_path / 'api.png')
    run_tool([sys.executable, '-c', code, CONFIG, small_sdan_ckpt, dng, api])
    tool = str(tmp_path / 'tool.png')
    infer(small_sdan_ckpt, dng, tool, '--no-wb')
    a, b = cv2.imread(api).astype(int), cv2.imread(tool).astype(int)
    assert a.shape == b.shape and np.abs(a - b).max() <= 1
    assert np.abs(a - b[..., ::-1]).max() > 10  # the colours are not symmetric in R/B

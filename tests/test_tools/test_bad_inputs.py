"""Bad inputs to the tools, as a user makes them: each gives one line that names the file and the
fix, no traceback (MMZOOM_DEBUG=1 brings it back)."""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from conftest import DEMO_CONFIG, ROOT, run_tool
from test_checkpoint_checks import save_model

SDAN_DEMO = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c16b2-raw_1xb2-200i_demo.py')
SDAN_FULL = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """A tiny SR-RAW tree, checkpoints of the SDAN demo and RNAN demo models, and bad files."""
    from mmzoom.raw import write_dng
    from mmzoom.raw.synthetic import make_demo_srraw
    d = tmp_path_factory.mktemp('bad')
    tree = str(d / 'srraw')
    make_demo_srraw(tree, size=(192, 288), raw_ext='dng')
    dng = osp.join(tree, 'test', '00003', '00006.dng')
    out = dict(tree=tree, dng=dng,
               sdan=save_model(SDAN_DEMO, str(d / 'sdan.pth')),
               rnan=save_model(DEMO_CONFIG, str(d / 'rnan.pth')))
    out['empty'] = str(d / 'empty.ARW')
    open(out['empty'], 'wb').close()
    data = open(dng, 'rb').read()
    out['truncated'] = str(d / 'truncated.dng')
    open(out['truncated'], 'wb').write(data[:len(data) // 3])
    out['jpeg_named_raw'] = str(d / 'photo.ARW')
    shutil.copy(osp.join(tree, 'test', '00003', '00006.JPG'), out['jpeg_named_raw'])
    out['text'] = str(d / 'notes.ARW')
    open(out['text'], 'w').write('not a raw file\n' * 10)
    out['png'] = str(d / 'photo.png')
    cv2.imwrite(out['png'], np.full((48, 64, 3), 128, np.uint8))
    out['grey16'] = str(d / 'grey16.png')
    cv2.imwrite(out['grey16'], np.full((32, 32), 30000, np.uint16))
    # An odd-sized mosaic: write_dng wants even sides, so write an even one and cut the DNG's
    # pixel data to 77x101 through tifffile, as odd-sized sensors store it.
    import tifffile
    out['odd'] = str(d / 'odd.dng')
    write_dng(out['odd'], np.full((78, 102), 2000, np.uint16), 'RGGB', 512, 16383)
    with tifffile.TiffFile(out['odd']) as tif:
        tags = [(t.code, t.dtype, t.count, t.value, True) for t in tif.pages[0].tags
                if t.code in (271, 272, 33421, 33422, 50706, 50707, 50708, 50710, 50713, 50714,
                              50717, 50721, 50778)]
    tifffile.imwrite(out['odd'], np.full((77, 101), 2000, np.uint16), photometric=32803,
                     extratags=tags)
    return out


def one_line(proc, code=2):
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1, proc.stderr[-3000:]
    return errors[0]


@pytest.mark.slow
@pytest.mark.parametrize('name, config, expected', [
    ('empty', SDAN_DEMO, 'is empty (0 bytes)'),
    ('truncated', SDAN_DEMO, 'is truncated or damaged'),
    ('jpeg_named_raw', SDAN_DEMO, 'is a JPEG image, not a RAW file, but'),
    ('text', SDAN_DEMO, 'is a text file, not a RAW file'),
    ('png', SDAN_DEMO, 'zoom photos with an RGB-input config, e.g. '
                       'configs/sdan/sdan_x4c64b16-rgb_1xb8-300e_srraw.py'),
    ('dng', DEMO_CONFIG, 'is a camera RAW file, but'),
])
def test_infer_names_what_is_wrong_with_the_input(files, tmp_path, name, config, expected):
    ckpt = files['sdan'] if config == SDAN_DEMO else files['rnan']
    proc = run_tool(['tools/infer.py', config, ckpt, '--img', files[name], '--out',
                     str(tmp_path / 'o.png')], check=False)
    line = one_line(proc)
    assert files[name] in line and expected in line, line
    assert not osp.exists(tmp_path / 'o.png')


@pytest.mark.slow
def test_infer_announces_conversions_and_trimming(files, tmp_path):
    proc = run_tool(['tools/infer.py', DEMO_CONFIG, files['rnan'], '--img', files['grey16'],
                     '--out', str(tmp_path / 'g.png')])
    assert 'is a 16-bit greyscale PNG; the config\'s pipeline reads it as 8-bit RGB' in proc.stderr
    proc = run_tool(['tools/infer.py', SDAN_DEMO, files['sdan'], '--img', files['odd'],
                     '--out', str(tmp_path / 'o.png')])
    assert 'mosaic 101x77 trimmed by 1 column(s) and 1 row(s)' in proc.stdout
    assert cv2.imread(str(tmp_path / 'o.png')).shape == (4 * 76, 4 * 100, 3)


@pytest.mark.slow
def test_debug_environment_keeps_the_traceback(files, tmp_path):
    proc = run_tool(['tools/infer.py', SDAN_DEMO, files['sdan'], '--img', files['empty'],
                     '--out', str(tmp_path / 'o.png')], env=dict(MMZOOM_DEBUG='1'), check=False)
    assert proc.returncode != 0 and 'Traceback' in proc.stderr


@pytest.mark.slow
def test_train_names_the_keys_of_a_too_small_tree(files, tmp_path):
    data = [f'{k}.dataset.data_root={files["tree"]}' for k in ('train_dataloader',
                                                               'val_dataloader')]
    small = ['model.generator.mid_channels=8', 'model.generator.num_blocks=1',
             'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']
    # 6 pairs, batch 8, drop_last: MMEngine's bare AssertionError becomes the reason
    proc = run_tool(['tools/train.py', SDAN_FULL, '--work-dir', str(tmp_path / 'a'),
                     '--cfg-options'] + data + small, check=False)
    assert 'the training set has 6 samples, fewer than one batch of ' \
        'train_dataloader.batch_size=8 with drop_last=True' in one_line(proc)
    # 576 px patches from 192 px frames: the line names the config keys to lower
    proc = run_tool(['tools/train.py', SDAN_FULL, '--work-dir', str(tmp_path / 'b'),
                     '--cfg-options', 'train_dataloader.batch_size=2'] + data + small,
                    check=False)
    line = one_line(proc)
    assert 'is smaller than the 144 px patch' in line
    assert 'train_dataloader.dataset.pipeline.4.gt_patch_size' in line


@pytest.mark.slow
def test_lpips_offline_is_one_line_and_no_lpips_evaluates_without_it(files, tmp_path):
    opts = ['--cfg-options', f'test_dataloader.dataset.data_root={files["tree"]}']
    env = dict(TORCH_HOME=str(tmp_path / 'empty_torch_home'))  # no AlexNet weights there
    proc = run_tool(['tools/test.py', SDAN_DEMO, files['sdan'], '--work-dir', str(tmp_path)] +
                    opts, env=env, check=False)
    line = one_line(proc)
    assert 'alexnet-owt-7be5be79.pth' in line and '--no-lpips' in line
    out = str(tmp_path / 'm.json')
    proc = run_tool(['tools/test.py', SDAN_DEMO, files['sdan'], '--work-dir', str(tmp_path),
                     '--no-lpips', '--out', out] + opts, env=env)
    import json
    metrics = json.load(open(out))
    assert 'SRRAW-test/PSNR_rgb_wb_b8' in metrics
    assert not any('LPIPS' in k for k in metrics)
    assert 'left out 2 LPIPS metric(s)' in proc.stdout  # plain and aligned


@pytest.mark.slow
def test_visualize_alignment_writes_the_panel_and_refuses_a_model_without_one(files, tmp_path):
    out = str(tmp_path / 'panel.png')
    proc = run_tool(['tools/analysis_tools/visualize_alignment.py', SDAN_DEMO, files['sdan'],
                     '--img', files['dng'], '--out', out, '--roi', '0', '0', '64', '96'])
    assert "panel (reference | aligned X' | offsets | M' | M | zoom)" in proc.stdout
    assert cv2.imread(out).shape == (64, 6 * 96, 3)
    proc = run_tool(['tools/analysis_tools/visualize_alignment.py', DEMO_CONFIG, files['rnan'],
                     '--img', files['png'], '--out', out], check=False)
    assert 'not SDAN: there is no alignment to show' in one_line(proc)


@pytest.mark.slow
def test_a_reference_mode_the_input_cannot_give_is_one_line(files, tmp_path):
    # a bare RAW file has no LR camera JPG beside it in the inference pipeline
    proc = run_tool(['tools/infer.py', SDAN_DEMO, files['sdan'], '--img', files['dng'], '--out',
                     str(tmp_path / 'o.png'), '--cfg-options', 'model.test_cfg.ref_mode=lr_jpg'],
                    check=False)
    assert "ref_mode='lr_jpg' needs the LR shot's camera JPG" in one_line(proc)
    assert not any(p.name.startswith('o') for p in tmp_path.iterdir())

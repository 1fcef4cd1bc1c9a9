"""The SR-RAW converters end to end on generated data (real JPG/DNG files, real rawpy and
OpenCV): make_demo_dataset, compute_tform, compute_wb and check_dataset."""
import os.path as osp
import shutil

import numpy as np
import pytest

from conftest import load_tool_module
from skimage import data

from mmzoom.raw import read_tform, read_wb
from mmzoom.raw.synthetic import load_truth, make_demo_srraw

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'dataset_converters', 'srraw')
SIZE = (192, 256)
FOCALS = (240.0, 200.0, 160.0, 120.0, 60.0)  # up to the 4x of SDAN's pairs


def load_tool(name: str):
    return load_tool_module(osp.join(TOOLS, f'{name}.py'), f'srraw_tool_{name}')


def corner_error(a, b):
    h, w = SIZE
    pts = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
    return np.abs(np.asarray(a) @ pts - np.asarray(b) @ pts).max()


@pytest.fixture(scope='module')
def bare_tree(tmp_path_factory):
    """Two textured sequences without tform.txt / wb.txt, and their ground truth."""
    root = tmp_path_factory.mktemp('srraw_bare')
    photos = {'astronaut': data.astronaut(), 'chelsea': data.chelsea()}
    make_demo_srraw(root, photos, train_sequences=1, test_sequences=1, size=SIZE,
                    focal_lengths=FOCALS, write_meta=False, seed=0)
    return root


def test_make_demo_dataset_cli(tmp_path, capsys):
    out = tmp_path / 'demo'
    tool = load_tool('make_demo_dataset')
    assert tool.main(['--out', str(out), '--sequences', '1', '--test-sequences', '1', '--size',
                      '64', '96', '--focal-lengths', '240', '120', '60', '--pattern', 'BGGR',
                      '--bit-depth', '12']) == 0
    truth = load_truth(out)
    assert sorted(truth['sequences']) == ['test/00002', 'train/00001']
    assert (truth['pattern'], truth['white_level'], truth['black_level']) == ('BGGR', 4095, 128)
    for name in ('00001.JPG', '00003.dng', 'tform.txt', 'wb.txt'):
        assert (out / 'train' / '00001' / name).is_file()
    assert 'demo_truth.json' in capsys.readouterr().out
    assert tool.main(['--out', str(tmp_path / 'x'), '--size', '63', '96']) == 1

    # The user's own photos.
    import cv2
    photo = tmp_path / 'my_cat.png'
    cv2.imwrite(str(photo), data.chelsea()[..., ::-1])
    assert tool.main(['--out', str(tmp_path / 'own'), '--photos', str(photo), '--sequences', '1',
                      '--test-sequences', '0', '--size', '64', '96']) == 0
    assert load_truth(tmp_path / 'own')['sequences']['train/00001']['photo'] == 'my_cat'
    assert tool.main(['--out', str(tmp_path / 'y'), '--photos', str(tmp_path / 'no.png')]) == 1
    assert 'no.png' in capsys.readouterr().err


def test_compute_tform_recovers_known_misalignment(bare_tree, tmp_path, capsys):
    root = tmp_path / 'tree'
    shutil.copytree(bare_tree, root)
    tool = load_tool('compute_tform')
    assert tool.main(['--root', str(root)]) == 0
    truth = load_truth(root)
    worst = 0.0
    for key, record in truth['sequences'].items():
        tform = read_tform(root / key / 'tform.txt')
        assert sorted(tform.tforms) == [1, 2, 3, 4, 5]
        for k, true in record['tforms'].items():
            worst = max(worst, corner_error(tform.get(k), true))
        assert np.abs(np.subtract(tform.corner, record['corner'])).max() <= 1
    with capsys.disabled():  # visible with pytest -s
        print(f'compute_tform: worst corner error {worst:.3f} px')
    assert worst < 0.5
    # A second run skips the finished sequences.
    assert tool.main(['--root', str(root)]) == 0
    assert '2 already had one' in capsys.readouterr().out


def test_compute_tform_reports_failures(bare_tree, tmp_path, capsys):
    root = tmp_path / 'tree'
    shutil.copytree(bare_tree, root)
    bad = root / 'train' / '00001' / '00003.JPG'
    from PIL import Image
    Image.open(bad).save(bad)  # re-saved without EXIF: no focal length
    assert load_tool('compute_tform').main(['--root', str(root)]) == 1
    captured = capsys.readouterr()
    assert str(bad) in captured.err and 'FocalLength' in captured.err
    assert not (root / 'train' / '00001' / 'tform.txt').exists()
    assert (root / 'test' / '00002' / 'tform.txt').exists()
    assert load_tool('compute_tform').main(['--root', str(tmp_path / 'nowhere')]) == 1


def test_compute_wb_matches_camera_white_balance(bare_tree, tmp_path):
    root = tmp_path / 'tree'
    shutil.copytree(bare_tree, root)
    assert load_tool('compute_wb').main(['--root', str(root)]) == 0
    for key, record in load_truth(root)['sequences'].items():
        gains = read_wb(root / key / 'wb.txt')
        assert sorted(gains) == sorted(record['wb_gains'])
        for k, true in record['wb_gains'].items():
            np.testing.assert_allclose(gains[k], true, rtol=2e-3)


def test_check_dataset_lists_every_problem(tmp_path, capsys):
    root = tmp_path / 'tree'
    make_demo_srraw(root, {'astronaut': data.astronaut()}, train_sequences=2, test_sequences=1,
                    size=(64, 96), focal_lengths=(240.0, 120.0, 60.0), seed=1)
    tool = load_tool('check_dataset')
    assert tool.main(['--root', str(root)]) == 0
    assert 'no problem found' in capsys.readouterr().out

    corrupt = root / 'train' / '00001' / '00002.dng'
    corrupt.write_bytes(corrupt.read_bytes()[:-100])  # an interrupted download
    empty = root / 'train' / '00002' / '00003.JPG'
    empty.write_bytes(b'')
    cut = root / 'train' / '00002' / '00001.JPG'
    cut.write_bytes(cut.read_bytes()[:len(cut.read_bytes()) // 2])
    lonely = root / 'test' / '00003' / '00001.JPG'  # its RAW partner goes
    (root / 'test' / '00003' / '00001.dng').unlink()
    (root / 'train' / '00002' / 'tform.txt').unlink()

    assert tool.main(['--root', str(root)]) == 1
    out = capsys.readouterr().out
    expected = {
        str(corrupt): 'undecodable RAW file',
        str(empty): '0-byte JPG',
        str(cut): 'corrupt JPG',
        str(root / 'test' / '00003' / '00001.dng'): f'missing RAW partner of {lonely.name}',
        str(root / 'train' / '00002' / 'tform.txt'): 'missing tform.txt',
    }
    problem_lines = [line for line in out.splitlines() if ': ' in line and 'problem' not in line]
    assert len(problem_lines) == len(expected), out
    for path, reason in expected.items():
        assert any(line.startswith(f'{path}: {reason}') for line in problem_lines), (path, out)
    assert '5 problem(s) in 3 sequence(s)' in out
    # Without the side-file requirement the tform.txt problem is not reported.
    assert tool.main(['--root', str(root), '--no-meta']) == 1
    assert 'tform.txt' not in capsys.readouterr().out


@pytest.mark.slow
def test_converters_in_worker_processes(bare_tree, tmp_path, capsys):
    """--workers 2: the same results from a forkserver pool (its start imports mmzoom once)."""
    root = tmp_path / 'tree'
    shutil.copytree(bare_tree, root)
    for name in ('compute_tform', 'compute_wb'):
        assert load_tool(name).main(['--root', str(root), '--workers', '2']) == 0
    truth = load_truth(root)
    for key, record in truth['sequences'].items():
        tform = read_tform(root / key / 'tform.txt')
        assert max(corner_error(tform.get(k), t) for k, t in record['tforms'].items()) < 0.5
        assert sorted(read_wb(root / key / 'wb.txt')) == sorted(record['wb_gains'])
    (root / 'train' / '00001' / '00002.dng').write_bytes(b'broken')
    assert load_tool('check_dataset').main(['--root', str(root), '--workers', '2']) == 1
    out = capsys.readouterr().out
    assert f"{root / 'train' / '00001' / '00002.dng'}: undecodable RAW file" in out
    assert '1 problem(s)' in out


def test_check_dataset_notes_six_shot_sequences(tmp_path, capsys):
    root = tmp_path / 'tree'
    make_demo_srraw(root, {'astronaut': data.astronaut()}, train_sequences=2, test_sequences=0,
                    size=(64, 96))
    for f in (root / 'train' / '00002').glob('00007.*'):
        f.unlink()
    tool = load_tool('check_dataset')
    assert tool.main(['--root', str(root)]) == 0
    out = capsys.readouterr().out
    assert 'note: 1 sequence(s) stop at shot 6' in out and 'train/00002' in out

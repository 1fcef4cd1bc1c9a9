"""tools/dataset_converters/srraw/prepare_pairs.py as a user runs it: the store trains and tests
through tools/train.py and tools/test.py; a killed run continues; bad trees, corrupt files and a
full disk give one line each."""
import glob
import json
import os
import os.path as osp
import resource
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tifffile

from conftest import ROOT, run_tool

PREPARE = 'tools/dataset_converters/srraw/prepare_pairs.py'
CONFIG = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')


def _tree(root, size=(256, 384), train=1, test=1, **kwargs):
    from mmzoom.raw.synthetic import make_demo_srraw
    make_demo_srraw(root, size=size, pattern='GRBG', raw_ext='dng', train_sequences=train,
                    test_sequences=test, **kwargs)
    return root


def _pairs(store, split='train'):
    return sorted(osp.relpath(p, store) for p in glob.glob(osp.join(store, split, '*', '*'))
                  if osp.isdir(p) and '.partial-' not in p)


def _assert_one_line_error(proc, *needles):
    assert 'Traceback' not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error: ')]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


@pytest.mark.slow
def test_store_trains_and_tests_through_the_tools(tmp_path):
    from test_sdan_configs import TINY
    tree = _tree(str(tmp_path / 'srraw'), size=(512, 768))
    store = str(tmp_path / 'store')
    proc = run_tool([PREPARE, tree, store, '--workers', '2'])
    assert 'store ready' in proc.stdout
    assert len(_pairs(store)) == 3 and len(_pairs(store, 'test')) == 1
    opts = [f'{k}.dataset.prepared_root={store}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    work = str(tmp_path / 'w')
    proc = run_tool(['tools/train.py', CONFIG, '--work-dir', work, '--cfg-options'] + TINY + opts,
                    timeout=400)
    log = proc.stdout + proc.stderr
    assert 'SRRawDataset: 3 pairs from the prepared store' in log
    assert osp.exists(osp.join(work, 'epoch_1.pth'))
    out = str(tmp_path / 'metrics.json')
    run_tool(['tools/test.py', CONFIG, osp.join(work, 'epoch_1.pth'), '--work-dir', work,
              '--out', out, '--cfg-options', 'test_evaluator.metrics.2.pnet_rand=True',
              'test_evaluator.metrics.7.pnet_rand=True'] +
             TINY + opts, timeout=400)
    assert any('PSNR_rgb_wb_b32' in k for k in json.load(open(out)))
    # the same store given to the 8x config: one line before any training
    eight = osp.join(ROOT, 'configs', 'sdan', 'sdan_x8c64b16-raw_1xb8-300e_srraw.py')
    proc = run_tool(['tools/train.py', eight, '--work-dir', str(tmp_path / 'w8'),
                     '--cfg-options'] + TINY + opts, check=False, timeout=400)
    assert proc.returncode == 2
    _assert_one_line_error(proc, 'holds 4x raw-input pairs, not 8x raw-input pairs')


@pytest.mark.slow
def test_a_killed_run_continues_and_leaves_no_corrupt_pair(tmp_path):
    tree = _tree(str(tmp_path / 'srraw'), size=(1024, 1536), train=2, test=0)
    reference = str(tmp_path / 'reference')
    run_tool([PREPARE, tree, reference, '--splits', 'train', '--no-progress'])
    store = str(tmp_path / 'store')
    cmd = [sys.executable, PREPARE, tree, store, '--splits', 'train', '--no-progress']
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not _pairs(store) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_with = _pairs(store)
    assert 0 < len(killed_with) < 6, killed_with  # stopped in the middle
    partial = glob.glob(osp.join(store, 'train', '*', '*.partial-*'))
    again = run_tool(cmd)
    assert f'{len(killed_with)} already prepared' in again.stdout
    if partial:
        assert 'removed' in again.stdout
    assert _pairs(store) == _pairs(reference) and len(_pairs(store)) == 6
    assert not glob.glob(osp.join(store, 'train', '*', '*.partial-*'))
    for pair in _pairs(reference):
        for name in ('img.tif', 'gt.tif'):
            np.testing.assert_array_equal(tifffile.imread(osp.join(store, pair, name)),
                                          tifffile.imread(osp.join(reference, pair, name)))


@pytest.mark.slow
def test_corrupt_files_are_reported_and_the_rest_prepared(tmp_path):
    tree = _tree(str(tmp_path / 'srraw'), train=2, test=0)
    truncated = osp.join(tree, 'train', '00001', '00005.dng')
    with open(truncated, 'r+b') as f:
        f.truncate(os.path.getsize(truncated) // 3)
    empty = osp.join(tree, 'train', '00002', '00006.dng')
    open(empty, 'w').close()
    store = str(tmp_path / 'store')
    proc = run_tool([PREPARE, tree, store, '--splits', 'train'], check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert 'Traceback' not in proc.stderr
    assert 'skipped 2 pair(s)' in proc.stdout
    assert f'{empty}: 0-byte RAW file' in proc.stdout
    assert truncated in proc.stdout
    assert len(_pairs(store)) == 4
    problems = open(osp.join(store, 'train', 'problems.txt')).read()
    assert empty in problems and truncated in problems


@pytest.mark.slow
def test_bad_roots_and_outputs_give_one_line(tmp_path):
    tree = _tree(str(tmp_path / 'srraw'), size=(64, 96), test=0)
    cases = [
        ([str(tmp_path / 'missing'), str(tmp_path / 'o1')], 'SR-RAW root not found'),
        ([str(tmp_path), str(tmp_path / 'o2'), '--splits', 'train'],
         'SR-RAW split folder not found'),
        ([tree, osp.join(tree, 'train'), '--splits', 'train'], 'is not a prepared store'),
        ([tree, str(tmp_path / 'o3'), '--pairs', 'x'], '--pairs takes HR-LR'),
    ]
    for argv, needle in cases:
        proc = run_tool([PREPARE] + argv, check=False)
        assert proc.returncode == 1, (argv, proc.stdout, proc.stderr)
        _assert_one_line_error(proc, needle)
    # a store of another scale cannot be continued with this one
    run_tool([PREPARE, tree, str(tmp_path / 'o4'), '--splits', 'train', '--scale', '8'])
    proc = run_tool([PREPARE, tree, str(tmp_path / 'o4'), '--splits', 'train'], check=False)
    assert proc.returncode == 1
    _assert_one_line_error(proc, 'holds 8x raw-input pairs, not 4x')


def _limit_file_size():
    # Writes past 40 kB fail with EFBIG instead of killing the process: a disk that refuses data.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


@pytest.mark.slow
def test_a_full_disk_stops_with_one_line_and_the_next_run_finishes(tmp_path):
    tree = _tree(str(tmp_path / 'srraw'), test=0)
    store = str(tmp_path / 'store')
    cmd = [sys.executable, PREPARE, tree, store, '--splits', 'train', '--no-progress']
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          preexec_fn=_limit_file_size, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    _assert_one_line_error(proc, "disk refused a write", 'run the same command again')
    assert not glob.glob(osp.join(store, 'train', '*', '*.partial-*'))
    for pair in _pairs(store):  # whatever is there is complete
        assert sorted(os.listdir(osp.join(store, pair))) == ['gt.tif', 'img.tif', 'meta.json']
    run_tool(cmd)
    assert len(_pairs(store)) == 3
    shutil.rmtree(store)

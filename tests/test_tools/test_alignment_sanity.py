"""tools/analysis_tools/alignment_sanity.py: the shifted-pair builder and a tiny end-to-end run."""
import importlib.util
import math
import os.path as osp
import re

import numpy as np
import pytest
import torch

from conftest import ROOT

TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'alignment_sanity.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('_analysis_alignment_sanity', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _photo(h=40, w=48, seed=0):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def test_zero_shift_target_is_the_ground_truth(tool):
    photo = _photo()
    gt, target = tool.shifted_pair(photo, 5, 7, 16, (0, 0))
    assert gt.shape == target.shape == (16, 16, 3)
    np.testing.assert_array_equal(gt, photo[5:21, 7:23])
    np.testing.assert_array_equal(target, gt)


@pytest.mark.parametrize('dy, dx', [(3, -2), (-4, 5), (1, 0), (0, -6)])
def test_known_shift_moves_the_target_by_it(tool, dy, dx):
    photo = _photo()
    top, left, p = 10, 12, 16
    gt, target = tool.shifted_pair(photo, top, left, p, (dy, dx))
    np.testing.assert_array_equal(target, photo[top + dy:top + dy + p, left + dx:left + dx + p])
    # target[y, x] == gt[y + dy, x + dx] on the overlap, i.e. gt rolled by (-dy, -dx).
    rolled = np.roll(gt, (-dy, -dx), axis=(0, 1))
    ys = slice(max(0, -dy), p - max(0, dy))
    xs = slice(max(0, -dx), p - max(0, dx))
    np.testing.assert_array_equal(target[ys, xs], rolled[ys, xs])
    assert not np.array_equal(target, gt)


def test_crop_outside_the_photo_is_refused(tool):
    with pytest.raises(ValueError, match='target crop at'):
        tool.shifted_pair(_photo(), 0, 0, 16, (-1, 0))


def test_sample_pairs_shapes_and_reference(tool):
    photos = [_photo(64, 64, 1), _photo(60, 72, 2)]
    pairs = tool.sample_pairs(photos, 3, 32, 4, np.random.default_rng(0))
    assert pairs['gt'].shape == pairs['target'].shape == (3, 3, 32, 32)
    assert pairs['lr'].shape == pairs['ref'].shape == (3, 3, 8, 8)
    assert pairs['shift'].shape == (3, 2) and pairs['shift'].abs().max() <= 4
    torch.testing.assert_close(pairs['lr'], tool.downsample(pairs['gt']))
    torch.testing.assert_close(pairs['ref'], tool.downsample(pairs['target']))
    for i in range(3):
        dy, dx = (int(v) for v in pairs['shift'][i])
        gt, target = pairs['gt'][i], pairs['target'][i]
        ys, xs = slice(max(0, -dy), 32 - max(0, dy)), slice(max(0, -dx), 32 - max(0, dx))
        torch.testing.assert_close(target[:, ys, xs],
                                   gt.roll((-dy, -dx), dims=(1, 2))[:, ys, xs])


def _number(pattern, text):
    match = re.search(pattern, text, re.M)
    assert match, f'{pattern!r} not in\n{text}'
    return float(match.group(1))


def test_tiny_run_prints_every_row(tool, capsys):
    from mmzoom.utils.cli import run_cli
    threads = torch.get_num_threads()
    try:
        run_cli(tool.main, ['--steps', '3', '--patch', '32', '--batch', '2', '--shift', '4',
                            '--eval-pairs', '6', '--mid-channels', '8', '--num-blocks', '1',
                            '--log-every', '2', '--device', 'cpu', '--threads', '1'])
    finally:
        torch.set_num_threads(threads)
    out, err = capsys.readouterr()
    assert '[alignment_sanity] step 2/3' in err and '[alignment_sanity] step 3/3' in err
    assert 'seeds: training data 0, weights 0, held-out pairs 1' in out
    for model in ('SDAN', 'plain'):
        count = re.search(rf'^{model}: .* ([\d,]+) params', out, re.M)
        assert count and int(count.group(1).replace(',', '')) > 0, out
    for label in ('bicubic upsampling', 'plain L1 model', r'SDAN, self reference \{X, X\}',
                  r"SDAN, ORACLE reference \(Y' from shifted Y\)"):
        vs_gt = _number(rf'^\| {label}\s*\|\s*(-?[\d.]+) \|', out)
        vs_y = _number(rf'^\| {label}\s*\|\s*-?[\d.]+ \|\s*(-?[\d.]+) \|', out)
        assert math.isfinite(vs_gt) and math.isfinite(vs_y), label
    for axis in ('dy', 'dx'):
        cells = re.search(rf'^\| {axis}\s*\|(.*)\|$', out, re.M).group(1).split('|')
        values = [float(c) for c in cells]
        assert len(values) == 4 and all(math.isfinite(v) for v in values), (axis, values)
        assert -1 <= values[0] <= 1
    assert re.search(r'^mean \|offset\| with self reference .*dy [\d.]+, dx [\d.]+$', out, re.M)
    assert re.search(r'^wall time: training \d+ s', out, re.M)


def test_bad_patch_is_one_line(tool, capsys):
    from mmzoom.utils.cli import run_cli
    with pytest.raises(SystemExit) as exc:
        run_cli(tool.main, ['--patch', '40', '--pack-size', '4'])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: --patch 40 must be a multiple of 4 * --pack-size = 16')

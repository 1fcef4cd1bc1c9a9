"""The public entry points end to end: tools/train.py, --resume after a kill, tools/test.py,
tools/dist_train.sh with two CPU processes, tools/infer.py, and their errors on bad input."""
import json
import os
import os.path as osp
import pickle
import re
import subprocess
import sys
import time

import cv2
import pytest
import torch

from conftest import DEMO_CONFIG, ROOT, demo_cfg_options, run_tool


def _opts(root, *extra):
    return ['--cfg-options'] + demo_cfg_options(root) + list(extra)


@pytest.mark.slow
def test_train_kill_resume_test_infer(demo_sisr_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    cmd = [sys.executable, osp.join(ROOT, 'tools/train.py'), DEMO_CONFIG, '--work-dir', work_dir
           ] + _opts(demo_sisr_root, 'train_cfg.max_iters=1000', 'train_cfg.val_interval=1000',
                     'default_hooks.checkpoint.interval=2')
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt2 = osp.join(work_dir, 'iter_2.pth')
    deadline = time.time() + 240
    try:
        while not osp.exists(ckpt2) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert osp.exists(ckpt2), 'training wrote no checkpoint at iteration 2'
        time.sleep(1.0)  # let the save finish; the run goes on past iteration 2
    finally:
        proc.kill()
        proc.wait()
    assert not osp.exists(osp.join(work_dir, 'iter_1000.pth'))

    # Resume from the last checkpoint the killed run completed (older ones may be rotated away).
    last = open(osp.join(work_dir, 'last_checkpoint')).read().strip()
    done = int(re.fullmatch(r'iter_(\d+)\.pth', osp.basename(last)).group(1))
    assert done >= 2 and done % 2 == 0

    # The checkpoint is a real MMEngine Runner checkpoint, and it loads weights-only.
    ckpt = torch.load(last, map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == done
    assert 'message_hub' in ckpt and 'optimizer' in ckpt

    # Resume continues after that iteration (a restart would log iterations from 1 again).
    end = done + 2
    resumed = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', work_dir, '--resume', last]
                       + _opts(demo_sisr_root, f'train_cfg.max_iters={end}',
                               f'train_cfg.val_interval={end}',
                               'default_hooks.checkpoint.interval=2',
                               'default_hooks.logger.interval=1'))
    log = resumed.stdout + resumed.stderr
    assert re.search(rf'resumed epoch: \d+, iter: {done}\b', log), log[-3000:]
    logged_iters = [int(m) for m in re.findall(rf'Iter\(train\) \[\s*(\d+)/{end}\]', log)]
    assert logged_iters == [done + 1, done + 2], logged_iters
    final_path = osp.join(work_dir, f'iter_{end}.pth')
    final = torch.load(final_path, map_location='cpu', weights_only=True)
    assert final['meta']['iter'] == end

    # tools/test.py reports PSNR/SSIM on the test split from that checkpoint.
    metrics_file = str(tmp_path / 'metrics.json')
    run_tool(['tools/test.py', DEMO_CONFIG, final_path, '--work-dir',
              work_dir, '--out', metrics_file] + _opts(demo_sisr_root))
    metrics = json.load(open(metrics_file))
    assert set(metrics) == {'Set5/PSNR', 'Set5/SSIM'}, metrics
    # A few iterations train nothing worth measuring: these are real, finite, in-range numbers.
    assert 0 < metrics['Set5/PSNR'] < 100 and -1 <= metrics['Set5/SSIM'] <= 1

    # tools/infer.py writes a 2x image through MMagic's inference API.
    lr_path = osp.join(demo_sisr_root, 'Set5', 'LRbicx2', 'coffee.png')
    out = str(tmp_path / 'sr.png')
    run_tool(['tools/infer.py', DEMO_CONFIG, final_path, '--img', lr_path,
              '--out', out])
    lr, sr = cv2.imread(lr_path), cv2.imread(out)
    assert sr.shape == (lr.shape[0] * 2, lr.shape[1] * 2, 3)


@pytest.mark.slow
def test_dist_train_two_cpu_processes(demo_sisr_root, tmp_path):
    work_dir = str(tmp_path / 'dist')
    port = str(29500 + os.getpid() % 1000)
    proc = run_tool(['bash', 'tools/dist_train.sh', DEMO_CONFIG, '2', '--work-dir', work_dir]
                    + _opts(demo_sisr_root, 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                            'default_hooks.checkpoint.interval=2'),
                    env=dict(PORT=port), timeout=400)
    log = proc.stdout + proc.stderr
    assert re.search(r'Distributed launcher: pytorch', log), log[-3000:]
    assert 'Distributed training: True' in log, log[-3000:]
    assert re.search(r'GPU number: 2\b', log), log[-3000:]  # MMEngine's name for the world size
    assert "dist_cfg: {'backend': 'gloo'}" in log
    ckpt = torch.load(osp.join(work_dir, 'iter_2.pth'), map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 2
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])


def _run_main(tool: str, argv, capsys):
    """Call a tool's main in this process, as `python tools/<tool>.py ARGV` would."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f'_tool_{tool}', osp.join(ROOT, 'tools', tool))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from mmzoom.utils.cli import run_cli
    with pytest.raises(SystemExit) as exc:
        run_cli(module.main, argv)
    err = capsys.readouterr().err.strip()
    return exc.value.code, err


@pytest.mark.parametrize('tool, argv, expected', [
    ('train.py', [], 'the following arguments are required: config'),
    ('train.py', ['configs/nope.py'], 'config file not found: configs/nope.py'),
    ('train.py', [DEMO_CONFIG, '--resume', 'missing.pth'], 'checkpoint to resume not found'),
    ('test.py', [DEMO_CONFIG], 'the following arguments are required: checkpoint'),
    ('test.py', [DEMO_CONFIG, 'missing.pth'], 'checkpoint not found: missing.pth'),
    ('infer.py', [DEMO_CONFIG, 'missing.pth', '--img', 'x.png', '--out', 'y.png'],
     'checkpoint not found: missing.pth'),
])
def test_bad_command_lines_give_one_line(tool, argv, expected, capsys):
    code, err = _run_main(tool, argv, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert expected in err


def test_broken_config_is_one_line(tmp_path, capsys):
    bad = tmp_path / 'broken.py'
    bad.write_text("_base_ = ['does_not_exist.py']\n")
    code, err = _run_main('train.py', [str(bad)], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and 'cannot read config' in err


class _NotAllowed:  # pickled by reference: weights-only loading must refuse it
    pass


def test_untrusted_checkpoint_is_refused_clearly(demo_sisr_root, tmp_path, capsys):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'payload': _NotAllowed()}, path)
    code, err = _run_main('test.py', [DEMO_CONFIG, path, '--work-dir', str(tmp_path / 'w')]
                          + _opts(demo_sisr_root), capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert 'weights-only' in err and path in err


def test_weights_only_loading_of_safe_and_unsafe_pickles(tmp_path):
    from mmengine.logging.history_buffer import HistoryBuffer
    import numpy as np
    safe = str(tmp_path / 'safe.pth')
    buf = HistoryBuffer()
    buf.update(np.float64(1.5))
    torch.save({'hub': buf, 'arr': np.arange(3), 'f': np.float32(2.0)}, safe)
    loaded = torch.load(safe, weights_only=True)
    assert loaded['hub'].current() == 1.5 and loaded['arr'].tolist() == [0, 1, 2]
    unsafe = str(tmp_path / 'unsafe.pth')
    torch.save(_NotAllowed(), unsafe)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(unsafe, weights_only=True)
    # HistoryBuffer needs getattr(HistoryBuffer, <statistic>); nothing else may be reached that way.
    gadget = str(tmp_path / 'gadget.pth')
    torch.save({'x': _GetattrGadget()}, gadget)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(gadget, weights_only=True)


class _GetattrGadget:
    def __reduce__(self):
        from mmengine.logging.history_buffer import HistoryBuffer
        return getattr, (HistoryBuffer, '__init__')

import os
import os.path as osp
import subprocess
import sys
from typing import List

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

import mmzoom  # noqa: E402,F401  (registers modules before any test builds one)
from mmengine.registry import init_default_scope  # noqa: E402

# What configs say with default_scope='mmagic': nested builds (data preprocessors) look there.
init_default_scope('mmagic')

DEMO_CONFIG = osp.join(ROOT, 'configs', 'rnan', 'rnan_x2c16g2b2_1xb4-40i_demo.py')


def run_tool(args: List[str], timeout: int = 300, env: dict = None,
             check: bool = True) -> subprocess.CompletedProcess:
    """Run a tool from the checkout the way a user does; on failure show its output."""
    full_env = dict(os.environ, PYTHON=sys.executable, PYTHONUNBUFFERED='1', **(env or {}))
    cmd = args if args[0] in ('bash', sys.executable) else [sys.executable] + args
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} exited {proc.returncode}\n'
                             f'--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}')
    return proc


@pytest.fixture(scope='session')
def demo_sisr_root(tmp_path_factory) -> str:
    """A tiny DIV2K/Set5-layout dataset made from scikit-image photos (two photos)."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters', 'sisr'))
    from make_demo_dataset import load_photos, make_demo_dataset
    photos = load_photos()
    photos = {k: photos[k] for k in ('astronaut', 'coffee')}
    root = str(tmp_path_factory.mktemp('sisr_demo'))
    make_demo_dataset(root, photos, patch=48, patches_per_photo=2, test_size=48)
    return root


def demo_cfg_options(root: str) -> List[str]:
    return [f'train_dataloader.dataset.data_root={root}/DIV2K',
            f'val_dataloader.dataset.data_root={root}/Set5',
            f'test_dataloader.dataset.data_root={root}/Set5']

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


SDAN_RAW_CONFIG = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')
#: The --cfg-options that shrink SDAN_RAW_CONFIG's generator to small_sdan_ckpt's.
SMALL_SDAN = ['--cfg-options', 'model.generator.mid_channels=16', 'model.generator.num_blocks=2']


@pytest.fixture(scope='module')
def small_sdan_ckpt(tmp_path_factory) -> str:
    """A checkpoint of the full SDAN RAW config with 16 features and 2 blocks (SMALL_SDAN),
    random weights, the attention scale set to 0.5 (at its initial 0 the attention would be
    the identity)."""
    import torch
    from mmagic.registry import MODELS
    from mmengine.config import Config
    from mmzoom.models.layers import CrossPackingAttention
    cfg = Config.fromfile(SDAN_RAW_CONFIG).model
    cfg.generator.update(mid_channels=16, num_blocks=2)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, CrossPackingAttention):
                m.gamma.fill_(0.5)
    path = str(tmp_path_factory.mktemp('ckpt') / 'sdan_small.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def load_tool_module(path: str, name: str):
    """A tool script loaded as a module under a unique name (several tool folders have files
    of the same name, e.g. make_demo_dataset.py)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""The SR-RAW dataset bases build and deliver contract-conforming samples (on the demo tree,
with the patch sizes scaled down to its 192x256 shots)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from srraw_demo import demo_tree, mmagic_scope  # noqa: F401  (fixtures)

from mmagic.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NAMES = ['srraw_x4_raw', 'srraw_x4_rgb', 'srraw_x8_raw', 'srraw_x8_rgb']


def _dataset(cfg, loader, root, patch=64):
    dataset = cfg[loader].dataset
    dataset.data_root = root
    for step in dataset.pipeline:
        if step.type == 'PairedRawCrop':
            step.gt_patch_size = patch  # SR-RAW's 576 / 1024 exceed the demo shots
    return DATASETS.build(dataset)


@pytest.mark.parametrize('name', NAMES)
def test_dataset_base_builds_and_samples_meet_the_contract(demo_tree, name):
    root, _ = demo_tree
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets', f'{name}.py'))
    scale = 8 if '_x8_' in name else 4
    channels = 1 if name.endswith('raw') else 3
    assert cfg.train_dataloader.batch_size == 8  # SDAN's batch
    assert cfg.train_dataloader.dataset.scale == cfg.test_dataloader.dataset.scale == scale

    train = _dataset(cfg, 'train_dataloader', root)
    assert len(train) == (6 if scale == 4 else 2)
    sample = train[0]
    n = 64 // scale
    assert sample['inputs'].shape == (channels, n, n) and sample['inputs'].dtype == torch.float32
    ds = sample['data_samples']
    assert ds.gt_img.shape == (3, 64, 64) and ds.ref_img.shape == (3, n, n)
    assert ds.metainfo['scale'] == scale and len(ds.metainfo['wb_gains']) == 4
    assert ('cfa_pattern' in ds.metainfo) == (channels == 1)

    val = _dataset(cfg, 'val_dataloader', root)
    assert len(val) == 1 and val[0]['data_samples'].gt_img.shape == (3, 64, 64)

    test = _dataset(cfg, 'test_dataloader', root)
    full = test[0]
    h, w = full['inputs'].shape[1:]
    assert full['data_samples'].gt_img.shape == (3, scale * h, scale * w)
    assert full['data_samples'].ref_img.shape == (3, h, w)

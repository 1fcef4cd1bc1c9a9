"""Helpers and fixtures shared by the SR-RAW data tests: small SR-RAW-shaped trees written by
mmzoom.raw.synthetic (real DNG files that rawpy decodes, JPGs with EXIF focal lengths, true
tform.txt / wb.txt). Not a conftest.py: tests/conftest.py is imported as ``conftest`` by the
tool tests, and a second conftest.py would shadow it. Test modules import the fixtures."""
import os

import pytest
from mmengine.registry import init_default_scope
from skimage import data

from mmzoom.raw import shot_paths
from mmzoom.raw.synthetic import make_demo_srraw

import mmzoom.datasets  # noqa: F401  (registers the SR-RAW dataset and transforms)


@pytest.fixture(autouse=True)
def mmagic_scope():
    # Pipelines given as config dicts are built from MMagic's registries, as in a run.
    init_default_scope('mmagic')


def demo_photos():
    return {'astronaut': data.astronaut(), 'coffee': data.coffee()}


def make_tree(root, train=2, test=1, size=(192, 256), **kwargs) -> dict:
    """Write a demo SR-RAW tree (default focal lengths 240..24 mm: exact 4x and 8x pairs)."""
    return make_demo_srraw(root, demo_photos(), train_sequences=train, test_sequences=test,
                           size=size, **kwargs)


def drop_shot(seq_dir, k: int) -> None:
    """Remove every file of shot k (JPG and RAW), as in SR-RAW sequences of fewer shots."""
    for ext in ('JPG', 'dng'):
        for path in shot_paths(seq_dir, ext).values():
            if os.path.basename(path).startswith(f'{k:05d}.'):
                os.remove(path)


@pytest.fixture(scope='session')
def demo_tree(tmp_path_factory):
    """2 train sequences (00001, 00002) and 1 test sequence (00003) of 192x256 shots."""
    root = tmp_path_factory.mktemp('srraw_demo')
    truth = make_tree(root)
    return str(root), truth

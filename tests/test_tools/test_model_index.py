"""The model-zoo index lists exactly the configs that exist, and each listed config loads."""
import glob
import os.path as osp

import yaml
from mmengine.config import Config

from conftest import ROOT


def test_model_index_matches_the_config_folders():
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    listed = []
    for metafile in index['Import']:
        meta = yaml.safe_load(open(osp.join(ROOT, metafile)))
        for model in meta['Models']:
            assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
            assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
            assert model['Results'][0]['Task'] == 'Image Super-Resolution'
            listed.append(model['Config'])
    for folder in ('sdan', 'rnan'):
        on_disk = {osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', folder, '*.py'))
                   if '_demo' not in p}
        assert on_disk == {c for c in listed if f'/{folder}/' in c}
    for config in listed:
        Config.fromfile(osp.join(ROOT, config))

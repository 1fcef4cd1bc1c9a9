"""The prepared pair store: a sample read from it equals the raw path's sample; its lazy view
reads only the tiles a crop covers; the dataset refuses a store made for something else."""
import copy
import os
import os.path as osp
import sys

import numpy as np
import pytest
import tifffile
from mmengine.config import Config

from mmzoom.datasets import PreparedStoreError, SRRawDataset, SRRawDatasetError, StoredPlane
from mmzoom.datasets.prepared_store import PlaneSource, read_window
from mmzoom.raw import read_tform, wb_channel_factors, write_tform
from srraw_demo import make_tree, mmagic_scope  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters', 'srraw'))
from prepare_pairs import main as prepare  # noqa: E402

BASE = osp.join(ROOT, 'configs', '_base_', 'datasets')


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    """GBRG camera, 12-bit, black level 300 (not Sony's), and a tform.txt with rotation and scale
    for the training sequence."""
    root = str(tmp_path_factory.mktemp('srraw_store'))
    make_tree(root, train=1, test=1, size=(256, 384), pattern='GBRG', bit_depth=12,
              black_level=300)
    path = osp.join(root, 'train', '00001', 'tform.txt')
    tforms = read_tform(path).tforms
    for k, warp in tforms.items():
        if k == 1:
            continue
        angle, zoom = np.deg2rad(0.4 * k), 1 + 0.003 * k
        rot = zoom * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        warp = np.asarray(warp, dtype=np.float64).copy()
        warp[:, :2] = rot @ warp[:2, :2]
        tforms[k] = warp
    write_tform(path, tforms)
    return root


def _store(tree, tmp_path_factory, mode, bits):
    out = str(tmp_path_factory.mktemp(f'store_{mode}_{bits}') / 'store')
    assert prepare([tree, out, '--input-mode', mode, '--hr-bits', str(bits),
                    '--no-progress']) == 0
    return out


def _pipelines(mode):
    cfg = Config.fromfile(osp.join(BASE, f'srraw_x4_{mode}.py'))
    train = [dict(s) for s in cfg.train_pipeline][:-1]  # up to MakeReference, arrays kept
    next(s for s in train if s['type'] == 'PairedRawCrop')['gt_patch_size'] = 64
    val = [dict(s) for s in cfg.val_pipeline][:-1]
    next(s for s in val if s['type'] == 'PairedRawCrop')['gt_patch_size'] = 48
    test = [dict(s) for s in cfg.test_pipeline][:-1]
    return dict(train=('train', train), val=('test', val), test=('test', test))


@pytest.mark.parametrize('mode,bits', [('raw', 8), ('raw', 16), ('rgb', 8)])
def test_store_sample_equals_the_raw_path_sample(tree, tmp_path_factory, mode, bits):
    store = _store(tree, tmp_path_factory, mode, bits)
    step = 0.5 if bits == 8 else 1 / 512
    flips_seen = set()
    for name, (split, pipeline) in _pipelines(mode).items():
        raw = SRRawDataset(data_root=tree, split=split, input_mode=mode,
                           pipeline=copy.deepcopy(pipeline))
        prepared = SRRawDataset(data_root='/nonexistent', split=split, input_mode=mode,
                                pipeline=copy.deepcopy(pipeline), prepared_root=store)
        assert len(raw) == len(prepared) == (3 if split == 'train' else 1)
        assert prepared.pipeline.transforms[0].lazy == (name != 'test')
        for i in range(len(raw)):
            for seed in range(6 if name == 'train' else 1):
                np.random.seed(seed)
                a = raw[i]
                np.random.seed(seed)
                b = prepared[i]
                assert a['img_path'] == b['img_path']
                assert set(a) ^ set(b) == {'prepared'}
                for key in a:
                    if key in ('img', 'gt', 'ref'):
                        continue
                    if isinstance(a[key], np.ndarray):
                        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
                    else:
                        assert a[key] == b[key], key
                # the input to the bit, the target within the stated quantisation (scaled by
                # the white-balance removal), the reference as its bicubic downsampling
                assert b['img'].dtype == np.float32 and b['img'].shape == a['img'].shape
                np.testing.assert_array_equal(a['img'], b['img'])
                bound = step / wb_channel_factors(a['wb_gains']).min() + 1e-4
                assert np.abs(a['gt'] - b['gt']).max() <= bound
                assert np.abs(a['ref'] - b['ref']).max() <= 1.5 * bound
                flips_seen.update(a.get('cfa_flips', []))
    assert flips_seen == {'horizontal', 'vertical', 'transpose'}


def test_stored_plane_behaves_like_the_array(tmp_path):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 255, (301, 389, 3), dtype=np.uint8)
    path = str(tmp_path / 'plane.tif')
    tifffile.imwrite(path, arr, tile=(128, 128), compression='zlib', predictor=2,
                     photometric='rgb', metadata=None)
    plane = StoredPlane(PlaneSource(path, arr.shape, dict(kind='uint8')))
    ref = arr.astype(np.float32)
    assert plane.shape == ref.shape and plane.ndim == 3
    np.testing.assert_array_equal(np.asarray(plane), ref)
    for _ in range(40):
        view, expect = plane, ref
        for _ in range(4):
            op = rng.integers(0, 3)
            if op == 0:
                axis = int(rng.integers(0, 2))
                view, expect = np.flip(view, axis), np.flip(expect, axis)
            elif op == 1:
                view, expect = view.transpose(1, 0, 2), expect.transpose(1, 0, 2)
            else:
                h, w = expect.shape[:2]
                t, l = int(rng.integers(0, h // 4 + 1)), int(rng.integers(0, w // 4 + 1))
                b, r = int(rng.integers(t + h // 2, h + 1)), int(rng.integers(l + w // 2, w + 1))
                view, expect = view[t:b, l:r], expect[t:b, l:r]
        assert view.shape == expect.shape
        np.testing.assert_array_equal(np.ascontiguousarray(view), expect)
    # what is not a view (a step of 2, an integer index) is served from the materialised array
    np.testing.assert_array_equal(plane[::2, 5], ref[::2, 5])


def test_a_window_decodes_only_the_tiles_it_touches(tmp_path):
    arr = np.arange(512 * 512, dtype=np.uint16).reshape(512, 512)
    path = str(tmp_path / 'counts.tif')
    tifffile.imwrite(path, arr, tile=(128, 128), compression='zlib', predictor=2,
                     photometric='minisblack', metadata=None)
    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        last = len(page.dataoffsets) - 1
        offset, count = page.dataoffsets[last], page.databytecounts[last]
    with open(path, 'r+b') as f:  # destroy the bottom-right tile's data
        f.seek(offset)
        f.write(b'\0' * count)
    np.testing.assert_array_equal(read_window(path, 10, 300, 20, 250)[..., 0], arr[10:300, 20:250])
    with pytest.raises(Exception):
        read_window(path, 0, 512, 0, 512)


def test_dataset_refuses_a_store_made_for_something_else(tree, tmp_path_factory, tmp_path):
    store = _store(tree, tmp_path_factory, 'raw', 8)
    pipeline = [dict(s) for s in Config.fromfile(osp.join(BASE, 'srraw_x4_raw.py')).
                train_pipeline]
    with pytest.raises(PreparedStoreError, match=r'holds 4x raw-input pairs, not 8x raw'):
        SRRawDataset(data_root=tree, scale=8, pipeline=pipeline, prepared_root=store)
    with pytest.raises(PreparedStoreError, match=r'holds 4x raw-input pairs, not 4x rgb'):
        SRRawDataset(data_root=tree, input_mode='rgb', pipeline=pipeline, prepared_root=store)
    bilinear = copy.deepcopy(pipeline)
    bilinear[2]['interpolation'] = 'bilinear'
    with pytest.raises(PreparedStoreError, match="interpolation='bicubic'.*store.*"
                       "interpolation='bilinear'.*config"):
        SRRawDataset(data_root=tree, pipeline=bilinear, prepared_root=store)
    with pytest.raises(PreparedStoreError, match='not a prepared pair store'):
        SRRawDataset(data_root=tree, pipeline=pipeline, prepared_root=str(tmp_path))
    with pytest.raises(PreparedStoreError, match='prepared store not found'):
        SRRawDataset(data_root=tree, pipeline=pipeline, prepared_root=str(tmp_path / 'none'))
    with pytest.raises(PreparedStoreError, match=r'not \[\(2, 5\)\]'):
        SRRawDataset(data_root=tree, pipeline=pipeline, prepared_root=store, pairs=[(2, 5)])
    # a pair folder whose meta.json is damaged: listed, with the fix
    meta = osp.join(store, 'train', '00001', '00001-00005', 'meta.json')
    os.rename(meta, meta + '.bak')
    try:
        with pytest.raises(SRRawDatasetError, match='00001-00005: unreadable prepared pair'):
            SRRawDataset(data_root=tree, pipeline=pipeline, prepared_root=store)
    finally:
        os.rename(meta + '.bak', meta)

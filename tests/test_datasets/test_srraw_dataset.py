"""SRRawDataset: SDAN's pair rules, the 6-shot sequences, exclusions, and one error that lists
every broken file (on real demo trees: DNGs decoded by rawpy/LibRaw, JPGs with EXIF)."""
import os
import os.path as osp

import numpy as np
import pytest
from srraw_demo import drop_shot, make_tree, mmagic_scope  # noqa: F401  (autouse fixture)

from mmagic.registry import DATASETS
from mmzoom.datasets import KNOWN_BAD_SHOTS, SRRawDataset, SRRawDatasetError, parse_exclude
from mmzoom.raw.synthetic import load_truth


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    """Train 00001 (7 shots), 00002 (6 shots, the documented short sequences), 00003 (7 shots);
    test 00004."""
    root = tmp_path_factory.mktemp('srraw_index')
    make_tree(root, train=3, test=1, size=(64, 96))
    drop_shot(root / 'train' / '00002', 7)
    return str(root)


def _pairs(ds):
    return [(d['sequence'], d['hr_index'], d['lr_index'])
            for d in (ds.get_data_info(i) for i in range(len(ds)))]


def test_pair_rules_x4_train_skip_the_missing_seventh_shot(tree):
    ds = SRRawDataset(tree, split='train', scale=4)
    assert _pairs(ds) == [('train/00001', 1, 5), ('train/00001', 2, 6), ('train/00001', 3, 7),
                          ('train/00002', 1, 5), ('train/00002', 2, 6),
                          ('train/00003', 1, 5), ('train/00003', 2, 6), ('train/00003', 3, 7)]


@pytest.mark.parametrize('split,scale,expected', [
    ('test', 4, [('test/00004', 2, 6)]),
    ('train', 8, [('train/00001', 1, 6), ('train/00002', 1, 6), ('train/00003', 1, 6)]),
    ('test', 8, [('test/00004', 1, 6)]),
])
def test_pair_rules_x4_test_and_x8(tree, split, scale, expected):
    assert _pairs(SRRawDataset(tree, split=split, scale=scale)) == expected


def test_items_carry_paths_and_metadata_from_the_side_files(tree):
    truth = load_truth(tree)['sequences']['train/00001']
    raw = SRRawDataset(tree, split='train', scale=4).get_data_info(1)  # (HR 2, LR 6)
    seq = osp.join(tree, 'train', '00001')
    assert raw['img_path'] == osp.join(seq, '00006.dng')
    assert raw['gt_path'] == osp.join(seq, '00002.JPG')
    assert (raw['scale'], raw['input_mode']) == (4, 'raw')
    assert raw['focal_lengths'] == dict(reference=240.0, hr=120.0, lr=30.0)
    assert raw['frame_shapes'] == dict(reference=(64, 96), hr=(64, 96), lr=(64, 96))
    np.testing.assert_allclose(raw['tforms']['hr'], truth['tforms'][2], atol=1e-6)
    np.testing.assert_allclose(raw['tforms']['lr'], truth['tforms'][6], atol=1e-6)
    np.testing.assert_allclose(raw['wb_gains'], truth['wb_gains'][2], atol=1e-6)
    np.testing.assert_allclose(raw['img_wb_gains'], truth['wb_gains'][6], atol=1e-6)
    rgb = SRRawDataset(tree, split='train', scale=4, input_mode='rgb').get_data_info(1)
    assert rgb['img_path'] == osp.join(seq, '00006.JPG')


def test_built_from_config_through_the_registry(tree):
    ds = DATASETS.build(dict(type='SRRawDataset', data_root=tree, split='test', scale=8,
                             raw_ext='dng', pipeline=[]))
    assert len(ds) == 1 and ds.metainfo['dataset_type'] == 'srraw'


def test_exclusions(tree):
    assert ('train', 350, 1) in parse_exclude(KNOWN_BAD_SHOTS)
    assert parse_exclude(['00001/00002', 'test/4/6.JPG']) == {(None, 1, 2), ('test', 4, 6)}
    with pytest.raises(ValueError, match='not "\\[<split>/\\]<seq>/<shot>'):
        parse_exclude(['00001'])
    ds = SRRawDataset(tree, split='train', scale=4, exclude=['train/00001/00002.JPG', '00003/7'])
    assert ('train/00001', 2, 6) not in _pairs(ds) and ('train/00003', 3, 7) not in _pairs(ds)
    assert len(ds) == 6
    # A split-qualified entry leaves the other split alone.
    assert len(SRRawDataset(tree, split='test', scale=4, exclude=['train/00004/00002'])) == 1


def test_argument_errors(tree):
    with pytest.raises(ValueError, match='scale must be one of'):
        SRRawDataset(tree, scale=2)
    with pytest.raises(ValueError, match='input_mode'):
        SRRawDataset(tree, input_mode='packed')
    with pytest.raises(ValueError, match='HR < LR'):
        SRRawDataset(tree, pairs=[(5, 1)])
    with pytest.raises(FileNotFoundError, match='split folder not found'):
        SRRawDataset(tree, split='val', pairs=[(1, 5)])


def test_a_short_sequence_other_than_six_shots_is_reported(tmp_path):
    make_tree(tmp_path, train=1, test=0, size=(64, 96))
    seq = tmp_path / 'train' / '00001'
    drop_shot(seq, 6)  # 00007 remains: shot 6 is missing, not a documented 6-shot sequence
    with pytest.raises(SRRawDatasetError) as err:
        SRRawDataset(str(tmp_path), split='train', scale=4)
    assert f'{seq}/00006.JPG: missing shot 00006' in str(err.value)


@pytest.fixture
def broken(tmp_path):
    """Four train sequences, each with one defect in a file a 4x pair needs."""
    make_tree(tmp_path, train=4, test=0, size=(64, 96))
    train = tmp_path / 'train'
    corrupt = train / '00001' / '00005.dng'
    corrupt.write_bytes(os.urandom(corrupt.stat().st_size))  # not a RAW file any more
    empty = train / '00002' / '00002.JPG'
    empty.write_bytes(b'')
    orphan = train / '00003' / '00006.dng'
    orphan.unlink()  # 00006.JPG stays: a JPG without its RAW partner
    tform = train / '00004' / 'tform.txt'
    tform.unlink()
    return str(tmp_path), [str(p) for p in (corrupt, empty, orphan, tform)]


def test_every_broken_file_in_one_error(broken):
    root, paths = broken
    with pytest.raises(SRRawDatasetError) as err:
        SRRawDataset(root, split='train', scale=4)
    msg = str(err.value)
    corrupt, empty, orphan, tform = paths
    assert f'{corrupt}: undecodable RAW file' in msg
    assert f'{empty}: 0-byte JPG' in msg
    assert f'{orphan}: missing dng partner of 00006.JPG' in msg
    assert f'{tform}: missing tform.txt (run tools/dataset_converters/srraw/compute_tform' in msg
    assert '4 problem(s)' in msg and 'skip_invalid=True' in msg


def test_skip_invalid_warns_once_and_keeps_the_rest(broken):
    root, paths = broken
    with pytest.warns(UserWarning, match='skipping 6 of 12 pairs') as record:
        ds = SRRawDataset(root, split='train', scale=4, skip_invalid=True)
    assert len(record) == 1 and all(p in str(record[0].message) for p in paths)
    assert _pairs(ds) == [('train/00001', 2, 6), ('train/00001', 3, 7),
                          ('train/00002', 1, 5), ('train/00002', 3, 7),
                          ('train/00003', 1, 5), ('train/00003', 3, 7)]


def test_truncated_raw_found_by_decode_check_or_when_loaded(tmp_path):
    make_tree(tmp_path, train=0, test=1, size=(64, 96))
    raw = tmp_path / 'test' / '00001' / '00006.dng'
    raw.write_bytes(raw.read_bytes()[:raw.stat().st_size // 3])  # header intact, data cut
    ds = SRRawDataset(str(tmp_path), split='test', scale=4,
                      pipeline=[dict(type='LoadRawFromFile')])
    assert len(ds) == 1  # the header check cannot see a truncation...
    with pytest.raises(ValueError, match=f'{raw} is truncated or damaged'):
        ds[0]  # ...the loader names the file
    with pytest.raises(SRRawDatasetError, match=f'{raw}: undecodable RAW file'):
        SRRawDataset(str(tmp_path), split='test', scale=4, check_files='decode')


def test_an_empty_sequence_folder_is_one_problem(tmp_path):
    make_tree(tmp_path, train=1, test=0, size=(64, 96))
    (tmp_path / 'train' / '00009').mkdir()
    with pytest.raises(SRRawDatasetError) as info:
        SRRawDataset(str(tmp_path), split='train')
    lines = [line for line in str(info.value).splitlines() if '00009' in line]
    assert lines == [f'  {tmp_path / "train" / "00009"}: empty sequence folder (no JPG or .dng '
                     'shot); remove it or restore its files']

"""The SR-RAW pipeline steps on real demo files (DNGs decoded by rawpy, camera JPGs): levels and
canonical CFA phase, alignment, CFA-safe augmentation for all four Bayer patterns, exact crop
sizes, white-balance numbers and the reference Y'."""
import itertools
import os.path as osp

import numpy as np
import pytest
import rawpy
import torch
from mmengine.dataset import Compose
from srraw_demo import demo_tree, make_tree, mmagic_scope  # noqa: F401  (fixtures)

from mmzoom.datasets import SRRawDataset
from mmzoom.datasets.transforms import (CfaSafeFlip, LoadRawFromFile, MakeReference, PairedRawCrop,
                                        RemoveWhiteBalance, truncated_normal_position)
from mmzoom.raw import (BAYER_PATTERNS, apply_white_balance, cfa_offset, remove_white_balance,
                        write_dng)

COLOUR_CODE = {'R': 1000, 'G': 2000, 'B': 3000}  # digital numbers above black, per CFA colour


def _psnr(a, b):
    return 10 * np.log10(255.0**2 / np.mean((np.asarray(a, np.float64) - b)**2))


def _align_pipeline(mode):
    load = dict(type='LoadRawFromFile') if mode == 'raw' else dict(type='LoadSRRawJpg', key='img')
    return [load, dict(type='LoadSRRawJpg', key='gt'), dict(type='SRRawFovAlign')]


# -- loading ------------------------------------------------------------------------------------

@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
def test_load_raw_uses_file_levels_and_canonical_phase(tmp_path, pattern):
    make_tree(tmp_path, train=0, test=1, size=(64, 96), pattern=pattern, black_level=100,
              bit_depth=12)
    path = str(tmp_path / 'test' / '00001' / '00006.dng')
    out = LoadRawFromFile()(dict(img_path=path))
    dy, dx = cfa_offset(pattern)
    with rawpy.imread(path) as raw:
        stored = raw.raw_image_visible.astype(np.float64)
    h, w = (64 - dy) // 2 * 2, (96 - dx) // 2 * 2
    expected = (stored[dy:dy + h, dx:dx + w] - 100) / (4095 - 100) * 255
    assert out['img'].shape == (h, w, 1) and out['img'].dtype == np.float32
    np.testing.assert_allclose(out['img'][..., 0], expected, rtol=1e-5, atol=1e-3)
    assert (out['cfa_pattern'], out['mosaic_pattern']) == (pattern, 'RGGB')
    assert out['img_origin'] == (dy, dx) and out['img_frame_shape'] == (64, 96)
    assert out['raw_black_level'] == (100.0, ) * 4 and out['raw_white_level'] == 4095.0


def test_load_jpg_errors_name_the_file(tmp_path):
    from mmzoom.datasets.transforms import LoadSRRawJpg
    bad = tmp_path / 'x.JPG'
    bad.write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match=f'cannot decode JPG {bad}'):
        LoadSRRawJpg()(dict(gt_path=str(bad)))


# -- alignment ----------------------------------------------------------------------------------

@pytest.mark.parametrize('split,scale', [('test', 4), ('train', 8)])
def test_alignment_rgb_mode_matches_the_lr_view(demo_tree, split, scale):
    """The LR camera JPG and the aligned HR JPG brought down to its grid agree closely; moving
    the HR warp by one LR pixel costs several dB, so the geometry is right to the pixel."""
    root, _ = demo_tree
    ds = SRRawDataset(root, split=split, scale=scale, input_mode='rgb',
                      pipeline=_align_pipeline('rgb') + [
                          dict(type='RemoveWhiteBalance', keys=['gt', 'img']),
                          dict(type='MakeReference', interpolation='area')])
    info = ds.get_data_info(0)
    out = ds.pipeline(dict(info))
    h, w = out['img'].shape[:2]
    assert out['gt'].shape == (scale * h, scale * w, 3) and h % 2 == 0 and w % 2 == 0
    assert out['img'].dtype == out['gt'].dtype == np.float32
    aligned = _psnr(out['img'], out['ref'])
    assert aligned > 35
    # One LR pixel is f_1 / f_LR pixels of the 00001 frame, where tform.txt lives.
    step = info['focal_lengths']['reference'] / info['focal_lengths']['lr']
    info['tforms']['hr'][0][2] += step
    shifted = ds.pipeline(dict(info))
    assert shifted['img'].shape == out['img'].shape
    assert aligned > _psnr(shifted['img'], shifted['ref']) + 4


def test_alignment_raw_mode_mosaic_matches_the_linearised_target(demo_tree):
    """Each mosaic site holds the linear value of its CFA colour of the aligned target (the demo
    RAW is the JPG view linearised, white balance removed; shot gains drift by 2%)."""
    root, _ = demo_tree
    ds = SRRawDataset(root, split='train', scale=4, pipeline=_align_pipeline('raw') + [
        dict(type='RemoveWhiteBalance'), dict(type='MakeReference', interpolation='area')])
    for i in range(3):  # pairs (1, 5), (2, 6), (3, 7) of train/00001
        out = ds[i]
        assert out['img_origin'][0] % 2 == 0 and out['img_origin'][1] % 2 == 0  # RGGB file
        linear = (out['ref'] / 255.0)**2.2 * 255
        sampled = np.empty(out['img'].shape[:2], np.float32)
        for (dy, dx), c in zip(((0, 0), (0, 1), (1, 0), (1, 1)), (0, 1, 1, 2)):
            sampled[dy::2, dx::2] = linear[dy::2, dx::2, c]
        assert _psnr(out['img'][..., 0], sampled) > 35


# -- CFA phase through every augmentation, for the four Bayer patterns --------------------------

def _colour_coded_dng(path, pattern, black=512, white=16383):
    """Overwrite a demo DNG with a mosaic whose value tells the CFA colour of each site, and
    check through rawpy that the file's own raw_pattern says the same."""
    from mmzoom.raw import tile_cfa
    with rawpy.imread(path) as raw:
        shape = raw.raw_image_visible.shape
    codes = tile_cfa([COLOUR_CODE[c] for c in pattern], shape, dtype=np.int64)
    write_dng(path, (black + codes).astype(np.uint16), pattern, black, white)
    with rawpy.imread(path) as raw:
        desc = raw.color_desc.decode()
        letters = np.vectorize(lambda i: desc[i])(raw.raw_colors_visible)
        values = raw.raw_image_visible.astype(np.int64) - black
    assert np.array_equal(values, np.vectorize(COLOUR_CODE.get)(letters))
    return (np.array([COLOUR_CODE[c] for c in 'RGB']) / (white - black) * 255)


def _colours(mosaic, levels):
    return np.array(list('RGB'))[np.abs(mosaic[..., None] - levels).argmin(-1)]


def _assert_rggb(colours):
    assert (colours[0::2, 0::2] == 'R').all() and (colours[1::2, 1::2] == 'B').all()
    assert (colours[0::2, 1::2] == 'G').all() and (colours[1::2, 0::2] == 'G').all()


@pytest.fixture(scope='module', params=BAYER_PATTERNS)
def coded_tree(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f'cfa_{request.param}')
    make_tree(root, train=1, test=0, size=(128, 192), pattern=request.param)
    levels = _colour_coded_dng(str(root / 'train' / '00001' / '00005.dng'), request.param)
    return str(root), request.param, levels


@pytest.mark.parametrize('directions', [
    d for n in range(4) for d in itertools.combinations(('horizontal', 'vertical', 'transpose'), n)
])
def test_cfa_phase_kept_by_every_augmentation(coded_tree, directions):
    root, pattern, levels = coded_tree
    flips = [dict(type='CfaSafeFlip', keys=['img', 'gt'], flip_ratio=1.0,
                  directions=list(directions))] if directions else []
    ds = SRRawDataset(root, split='train', scale=4, pairs=[(1, 5)],
                      pipeline=_align_pipeline('raw') + flips + [
                          dict(type='PairedRawCrop', gt_patch_size=64, position='uniform')])
    for _ in range(3):
        out = ds[0]
        assert out['cfa_pattern'] == pattern and out['mosaic_pattern'] == 'RGGB'
        assert out.get('cfa_flips', []) == list(directions)
        assert out['img'].shape == (16, 16, 1) and out['gt'].shape == (64, 64, 3)
        _assert_rggb(_colours(out['img'][..., 0], levels))


def test_naive_flip_would_break_the_phase(coded_tree):
    """The check above can fail: a plain flip of the mosaic (the public SDAN code) does."""
    root, _, levels = coded_tree
    ds = SRRawDataset(root, split='train', scale=4, pairs=[(1, 5)], pipeline=[
        dict(type='LoadRawFromFile')])
    mosaic = ds[0]['img'][..., 0]
    _assert_rggb(_colours(mosaic, levels))
    with pytest.raises(AssertionError):
        _assert_rggb(_colours(mosaic[:, ::-1], levels))


def _coded_sample(h=12, w=16, s=4):
    yy, xx = np.mgrid[:h, :w]
    code = (yy * 1000 + xx).astype(np.float64)
    return dict(img=code[..., None], gt=np.repeat(np.repeat(code, s, 0), s, 1)[..., None]
                .repeat(3, -1), ref=code[..., None].repeat(3, -1), scale=s,
                mosaic_pattern='RGGB', img_path='coded')


def _assert_aligned(out, s):
    img = out['img'][..., 0]
    h, w = img.shape
    blocks = out['gt'][..., 0].reshape(h, s, w, s).transpose(0, 2, 1, 3)
    assert (blocks == img[:, :, None, None]).all()
    assert (out['ref'][..., 0] == img).all()


@pytest.mark.parametrize('seed', range(6))
def test_cfa_safe_flip_keeps_pairs_aligned_and_sizes_constant(seed):
    np.random.seed(seed)
    out = CfaSafeFlip(flip_ratio=0.5)(_coded_sample())
    flipped = set(out['cfa_flips'])
    assert out['img'].shape == ((14, 10, 1) if 'transpose' in flipped else (10, 14, 1))
    _assert_aligned(out, 4)
    # Even rows/columns of the output come from even rows/columns of the input (R sites).
    rows, cols = out['img'][..., 0] // 1000, out['img'][..., 0] % 1000
    if 'transpose' in flipped:
        rows, cols = cols, rows
    assert (rows[0::2, 0::2] % 2 == 0).all() and (cols[0::2, 0::2] % 2 == 0).all()


def test_cfa_safe_flip_mirrors_and_checks_its_arguments():
    out = CfaSafeFlip(flip_ratio=1.0, directions=['horizontal'])(_coded_sample())
    assert out['img'][0, 0, 0] == 14 and out['img'][0, -1, 0] == 1  # columns 14 .. 1
    out = CfaSafeFlip(flip_ratio=0.0, directions=['vertical'])(_coded_sample())
    assert out['img'][0, 0, 0] == 0 and out['img'][-1, 0, 0] == 9000  # rows 0 .. 9
    with pytest.raises(ValueError, match='GRBG'):
        CfaSafeFlip(directions=['transpose'], canonical_pattern='GRBG')
    with pytest.raises(ValueError, match='even-sized'):
        CfaSafeFlip()(dict(_coded_sample(), img=np.zeros((11, 16, 1))))


# -- crops --------------------------------------------------------------------------------------

@pytest.mark.parametrize('scale,position', [(4, 'truncnorm'), (4, 'uniform'), (8, 'truncnorm'),
                                            (8, 'centre')])
def test_paired_crop_sizes_even_offsets_alignment(scale, position):
    np.random.seed(0)
    crop = PairedRawCrop(gt_patch_size=64, position=position)
    seen = set()
    for _ in range(20):
        out = crop(_coded_sample(40, 52, scale))
        n = 64 // scale
        assert out['img'].shape == (n, n, 1) and out['gt'].shape == (64, 64, 3)
        assert out['ref'].shape == (n, n, 3)
        assert out['crop_pos'][0] % 2 == 0 and out['crop_pos'][1] % 2 == 0
        assert out['img'][0, 0, 0] == out['crop_pos'][0] * 1000 + out['crop_pos'][1]
        _assert_aligned(out, scale)
        seen.add(out['crop_pos'])
    assert len(seen) == 1 if position == 'centre' else len(seen) > 3


def test_paired_crop_errors():
    with pytest.raises(ValueError, match='must be an even integer'):
        PairedRawCrop(gt_patch_size=72)(_coded_sample(40, 52, 8))  # 72 / 8 = 9 px: odd
    with pytest.raises(ValueError, match='smaller than the 16 px patch'):
        PairedRawCrop(gt_patch_size=64)(_coded_sample(12, 16, 4))


def test_truncated_normal_positions():
    np.random.seed(1)
    draws = np.array([truncated_normal_position(0.2) for _ in range(4000)])
    assert draws.min() >= 0 and draws.max() <= 1
    assert abs(draws.mean() - 0.5) < 0.02 and 0.16 < draws.std() < 0.2


# -- white balance and reference ----------------------------------------------------------------

def test_white_balance_removal_numbers():
    gt = np.full((2, 3, 3), 200.0, np.float32)
    out = RemoveWhiteBalance()(dict(gt=gt, wb_gains=(2.0, 1.0, 1.0, 1.5)))['gt']
    np.testing.assert_allclose(out[0, 0], [200 / 2**(1 / 2.2), 200, 200 / 1.5**(1 / 2.2)],
                               rtol=1e-6)
    assert out.dtype == np.float32
    rgb = RemoveWhiteBalance(keys=['img'], clip=False)(
        dict(img=np.full((1, 1, 3), 100.0), img_wb_gains=(0.5, 1.0, 2.0)))['img']
    np.testing.assert_allclose(rgb[0, 0], [100 * 2**(1 / 2.2), 100, 100 / 2**(1 / 2.2)],
                               rtol=1e-6)
    np.testing.assert_allclose(apply_white_balance(remove_white_balance(gt, (2, 1, 1, 1.5)),
                                                   (2, 1, 1, 1.5)), gt, rtol=1e-6)
    with pytest.raises(KeyError, match='wb_gains'):
        RemoveWhiteBalance()(dict(gt=gt, gt_path='x.JPG'))
    with pytest.raises(ValueError, match='positive'):
        remove_white_balance(gt, (2, 0, 1))


@pytest.mark.parametrize('scale', [4, 8])
def test_reference_is_the_target_on_the_lr_grid(scale):
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 255, (16 * scale, 24 * scale, 3)).astype(np.float32)
    sample = dict(img=np.zeros((16, 24, 1), np.float32), gt=gt)
    area = MakeReference(interpolation='area')(dict(sample))['ref']
    assert area.shape == (16, 24, 3) and area.dtype == np.float32
    blocks = gt.reshape(16, scale, 24, scale, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(area, blocks, rtol=1e-4, atol=1e-3)
    bicubic = MakeReference(clip=False)(dict(sample))['ref']
    expected = torch.nn.functional.interpolate(  # the public SDAN code's Y'
        torch.from_numpy(gt).permute(2, 0, 1)[None], size=(16, 24), mode='bicubic',
        align_corners=False)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(bicubic, expected, atol=1e-3)


# -- whole samples ------------------------------------------------------------------------------

def test_full_training_sample_meets_the_contract(demo_tree):
    root, truth = demo_tree
    np.random.seed(3)
    ds = SRRawDataset(root, split='train', scale=4, pipeline=_align_pipeline('raw') + [
        dict(type='CfaSafeFlip', keys=['img', 'gt']),
        dict(type='PairedRawCrop', gt_patch_size=64),
        dict(type='RemoveWhiteBalance', keys=['gt']),
        dict(type='MakeReference'),
        dict(type='PackInputs', keys=['img'],
             meta_keys=['cfa_pattern', 'wb_gains', 'scale', 'focal_lengths'])])
    sample = ds[4]  # train/00002, (HR 2, LR 6)
    inputs, data_sample = sample['inputs'], sample['data_samples']
    assert inputs.shape == (1, 16, 16) and inputs.dtype == torch.float32
    assert data_sample.gt_img.shape == (3, 64, 64) and data_sample.gt_img.dtype == torch.float32
    assert data_sample.ref_img.shape == (3, 16, 16)
    assert 5 < float(inputs.max()) < 300  # 0..255 scale, not 0..1 (RAW input is not clipped)
    assert 0 <= float(data_sample.gt_img.min()) and float(data_sample.gt_img.max()) <= 255
    meta = data_sample.metainfo
    seq = osp.join(root, 'train', '00002')
    assert meta['img_path'] == osp.join(seq, '00006.dng')
    assert meta['gt_path'] == osp.join(seq, '00002.JPG')
    assert (meta['cfa_pattern'], meta['scale']) == ('RGGB', 4)
    np.testing.assert_allclose(meta['wb_gains'], truth['sequences']['train/00002']['wb_gains'][2],
                               atol=1e-6)
    assert meta['focal_lengths'] == dict(reference=240.0, hr=120.0, lr=30.0)
    assert not any(k.endswith('channel_order') for k in meta)  # RGB throughout, see datasets/


def test_steps_compose_from_configs_and_have_reprs():
    pipe = Compose([dict(type='LoadRawFromFile'), dict(type='LoadSRRawJpg'),
                    dict(type='SRRawFovAlign'), dict(type='CfaSafeFlip'),
                    dict(type='PairedRawCrop'), dict(type='RemoveWhiteBalance'),
                    dict(type='MakeReference')])
    assert [type(t).__name__ for t in pipe.transforms] == [
        'LoadRawFromFile', 'LoadSRRawJpg', 'SRRawFovAlign', 'CfaSafeFlip', 'PairedRawCrop',
        'RemoveWhiteBalance', 'MakeReference']
    assert all('(' in repr(t) for t in pipe.transforms)


def test_lr_jpg_reference_is_the_lr_shot_jpg_under_the_mosaic_patch(demo_tree):
    import cv2
    from mmzoom.raw import remove_white_balance
    root, _ = demo_tree
    pipeline = [dict(type='LoadRawFromFile', key='img'), dict(type='LoadSRRawJpg', key='gt'),
                dict(type='SRRawFovAlign'),
                dict(type='PairedRawCrop', gt_patch_size=64, position='centre'),
                dict(type='LRJpgReference')]
    ds = SRRawDataset(root, split='test', pipeline=pipeline)
    out = ds[0]
    jpg = cv2.imread(out['lr_jpg_path'], cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    top = out['img_origin'][0] + out['crop_pos'][0]
    left = out['img_origin'][1] + out['crop_pos'][1]
    patch = jpg[top:top + 16, left:left + 16, ::-1].astype(np.float32)
    assert out['lr_ref'].shape == (16, 16, 3)
    np.testing.assert_allclose(out['lr_ref'], np.clip(
        remove_white_balance(patch, out['img_wb_gains']), 0, 255), atol=1e-4)
    # ...and it sees what the mosaic sees: the LR JPG is the same shot as the RAW
    ref_lum = out['lr_ref'].mean(-1)
    raw = out['img'][..., 0]
    assert np.corrcoef(ref_lum.ravel(), raw.ravel())[0, 1] > 0.8


def test_raw_colour_and_computed_gains_for_the_rendered_reference(tmp_path):
    from mmzoom.datasets.transforms import ComputeWbGains
    from mmzoom.raw import write_dng
    from mmzoom.raw.white_balance import compute_wb_gains
    rng = np.random.default_rng(0)
    path = str(tmp_path / 'bare.dng')
    counts = 512 + rng.random((48, 64)) * 6000
    write_dng(path, counts.astype(np.uint16), 'BGGR', 512, 16383,
              as_shot_neutral=(0.5, 1.0, 0.8),
              color_matrix=np.array([[0.9, 0.1, -0.05], [-0.2, 1.1, 0.1], [0.0, -0.1, 0.9]]))
    results = LoadRawFromFile()(dict(img_path=path))
    np.testing.assert_allclose(results['raw_camera_wb'], (2.0, 1.0, 1.25), rtol=1e-3)
    cam = np.asarray(results['raw_rgb_cam'])
    assert cam.shape == (3, 3) and not np.allclose(cam, np.eye(3), atol=0.05)
    np.testing.assert_allclose(cam.sum(axis=1), 1, atol=1e-3)  # white stays white
    out = ComputeWbGains()(dict(results))
    assert out['img_wb_gains'] == compute_wb_gains(path)
    assert out['img_wb_gains'][0] > 1.3  # a reddish as-shot balance against daylight
    kept = ComputeWbGains()(dict(results, img_wb_gains=(1.0, 1.0, 1.0, 1.0)))
    assert kept['img_wb_gains'] == (1.0, 1.0, 1.0, 1.0)  # wb.txt's value is not replaced

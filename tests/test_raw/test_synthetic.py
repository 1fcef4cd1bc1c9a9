"""The demo SR-RAW generator: layout, decodable RAW/JPG pairs and self-consistent ground truth."""
import cv2
import numpy as np
import pytest
from skimage import data

from mmzoom.raw import (crop_fov, fov_ratio, read_focal_length, read_raw, read_tform, read_wb,
                        shot_paths, warp_to_reference)
from mmzoom.raw.synthetic import load_truth, make_demo_srraw

FOCALS = (240.0, 120.0, 60.0)
SIZE = (96, 128)


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo_srraw')
    make_demo_srraw(root, {'astronaut': data.astronaut()}, train_sequences=1, test_sequences=1,
                    size=SIZE, focal_lengths=FOCALS, pattern='GBRG', black_level=100,
                    bit_depth=12, noise=0.0, seed=3)
    return root, load_truth(root)


def test_layout_and_truth(demo):
    root, truth = demo
    assert sorted(truth['sequences']) == ['test/00002', 'train/00001']
    assert (truth['raw_ext'], truth['pattern'], truth['bit_depth']) == ('dng', 'GBRG', 12)
    for key, record in truth['sequences'].items():
        seq = root / key
        assert sorted(shot_paths(seq, 'JPG')) == [1, 2, 3]
        assert sorted(shot_paths(seq, 'dng')) == [1, 2, 3]
        assert record['focal_lengths'] == {1: 240.0, 2: 120.0, 3: 60.0}
        assert all(np.abs(s).max() <= 1.5 for s in record['shifts'].values())
        np.testing.assert_array_equal(record['tforms'][1], np.eye(2, 3))


def test_jpgs_carry_focal_lengths_and_raws_decode(demo):
    root, truth = demo
    seq = root / 'train' / '00001'
    for k, focal in enumerate(FOCALS, start=1):
        assert read_focal_length(seq / f'{k:05d}.JPG') == focal
        raw = read_raw(seq / f'{k:05d}.dng')
        assert raw.mosaic.shape == SIZE
        assert (raw.pattern, raw.black, raw.white, raw.bit_depth) == \
            ('GBRG', (100.0, ) * 4, 4095.0, 12)


def test_raw_is_the_jpg_view_without_white_balance(demo):
    root, truth = demo
    seq = root / 'test' / '00002'
    gains = truth['sequences']['test/00002']['wb_gains'][2]
    srgb = cv2.imread(str(seq / '00002.JPG'))[..., ::-1].astype(np.float64) / 255
    raw = read_raw(seq / '00002.dng')
    # GBRG: R sits at (1, 0) of each tile, B at (0, 1). The JPG was re-encoded after the RAW was
    # made from the same pixels, so allow JPEG error.
    r_raw, b_raw = raw.mosaic[1::2, 0::2], raw.mosaic[0::2, 1::2]
    r_jpg = srgb[1::2, 0::2, 0] ** 2.2 / gains[0]
    b_jpg = srgb[0::2, 1::2, 2] ** 2.2 / gains[3]
    assert np.abs(r_raw - r_jpg).mean() < 0.01 and np.abs(b_raw - b_jpg).mean() < 0.01


def test_meta_files_hold_the_truth(demo):
    root, truth = demo
    for key, record in truth['sequences'].items():
        tform = read_tform(root / key / 'tform.txt')
        assert tform.corner == record['corner']
        for k, t in record['tforms'].items():
            np.testing.assert_allclose(tform.get(k), t, atol=1e-6)
        wb = read_wb(root / key / 'wb.txt')
        for k, g in record['wb_gains'].items():
            np.testing.assert_allclose(wb[k], g, atol=1e-6)


def test_true_warp_aligns_the_views(tmp_path):
    """Warping a FOV-cropped wider shot with its true warp reproduces the reference shot; the
    warp moved by one pixel does markedly worse."""
    make_demo_srraw(tmp_path, {'astronaut': data.astronaut()}, 1, 0, size=(192, 256),
                    focal_lengths=(100.0, 80.0), max_shift=1.5, noise=0.0, seed=0)
    record = load_truth(tmp_path)['sequences']['train/00001']
    seq = tmp_path / 'train' / '00001'
    ref = cv2.imread(str(seq / '00001.JPG'), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    wide = cv2.imread(str(seq / '00002.JPG'), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    crop = cv2.resize(crop_fov(wide, fov_ratio(80, 100)), (256, 192),
                      interpolation=cv2.INTER_CUBIC)
    y0, y1, x0, x1 = record['corner']

    def error(warp):
        return np.abs(warp_to_reference(crop, warp) - ref)[y0 + 4:y1 - 4, x0 + 4:x1 - 4].mean()

    true = record['tforms'][2]
    moved = true + np.array([[0, 0, 1.0], [0, 0, 0]])
    assert error(true) < 0.6 * error(moved)


@pytest.mark.parametrize('kwargs, message', [
    (dict(size=(95, 128)), 'even'),
    (dict(focal_lengths=(60.0, 120.0)), 'strictly decreasing'),
    (dict(pattern='RGBW'), 'unknown Bayer pattern'),
    (dict(bit_depth=10), 'bit_depth'),
])
def test_generator_validates(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_demo_srraw(tmp_path, {'astronaut': data.astronaut()}, **kwargs)

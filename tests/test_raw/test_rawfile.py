"""DNG files written with tifffile are decoded by real rawpy/LibRaw exactly; read_raw levels."""
import numpy as np
import pytest
import rawpy

from mmzoom.raw.bayer import BAYER_PATTERNS, pattern_from_rawpy, tile_cfa
from mmzoom.raw.rawfile import RawReadError, probe_raw, read_raw, write_dng


def random_mosaic(shape, black, white, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(int(np.min(black)), white + 1, shape).astype(np.uint16)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
@pytest.mark.parametrize('bits, black', [(12, 128), (14, 512)])
def test_rawpy_reads_written_dng_exactly(tmp_path, pattern, bits, black):
    white = 2 ** bits - 1
    mosaic = random_mosaic((24, 36), black, white)
    mosaic[0, 0], mosaic[1, 1] = white, 0  # extremes survive the round trip
    path = tmp_path / f'{pattern}_{bits}.dng'
    write_dng(path, mosaic, pattern, black, white)
    with rawpy.imread(str(path)) as raw:
        np.testing.assert_array_equal(raw.raw_image, mosaic)
        np.testing.assert_array_equal(raw.raw_image_visible, mosaic)
        assert pattern_from_rawpy(raw.raw_pattern, raw.color_desc) == pattern
        assert list(raw.black_level_per_channel) == [black] * 4
        assert raw.white_level == white


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
def test_per_position_black_levels(tmp_path, pattern):
    blacks = (500, 510, 520, 530)  # row-major over the 2x2 tile
    path = tmp_path / 'b.dng'
    mosaic = random_mosaic((24, 26), max(blacks), 16383, seed=1)
    write_dng(path, mosaic, pattern, blacks, 16383)
    with rawpy.imread(str(path)) as raw:
        per_colour = np.asarray(raw.black_level_per_channel)
        np.testing.assert_array_equal(per_colour[raw.raw_pattern].ravel(), blacks)
    img = read_raw(path)
    assert img.black == blacks and img.pattern == pattern
    expected = (mosaic - tile_cfa(blacks, mosaic.shape, np.float64)) / (
        16383 - tile_cfa(blacks, mosaic.shape, np.float64))
    np.testing.assert_allclose(img.mosaic, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize('bits', [12, 14])
def test_read_raw_normalises_without_clipping(tmp_path, bits):
    white, black = 2 ** bits - 1, 2 ** (bits - 5)
    mosaic = random_mosaic((22, 24), 0, white, seed=2)
    mosaic[0, :3] = [0, black, white]
    path = tmp_path / 'n.dng'
    write_dng(path, mosaic, 'GRBG', black, white)
    img = read_raw(path)
    assert img.mosaic.dtype == np.float32 and img.mosaic.shape == (22, 24)
    assert (img.pattern, img.white, img.black) == ('GRBG', white, (black, ) * 4)
    assert (img.dtype, img.bit_depth, img.levels_from_file) == ('uint16', bits, True)
    np.testing.assert_allclose(img.mosaic[0, :3], [-black / (white - black), 0.0, 1.0],
                               rtol=1e-6)  # below black stays negative: not clipped
    expected = (mosaic.astype(np.float64) - black) / (white - black)
    np.testing.assert_allclose(img.mosaic, expected, rtol=1e-6, atol=1e-7)
    assert img.packed().shape == (11, 12, 4)


def test_read_raw_overrides(tmp_path):
    path = tmp_path / 'o.dng'
    mosaic = random_mosaic((22, 22), 0, 4095, seed=3)
    write_dng(path, mosaic, 'RGGB', 64, 4095)
    img = read_raw(path, black_level=0, white_level=8191)
    np.testing.assert_allclose(img.mosaic, mosaic / 8191, rtol=1e-6)
    assert img.bit_depth == 13


def test_probe_raw(tmp_path):
    path = tmp_path / 'p.dng'
    write_dng(path, random_mosaic((24, 30), 0, 4095), 'BGGR', 0, 4095)
    assert probe_raw(path) == ((24, 30), 'BGGR')


@pytest.mark.parametrize('content,what', [
    (b'', 'is empty (0 bytes)'),
    (b'not a raw file' * 100, 'is a text file, not a RAW file'),
    ('jpeg', 'is a JPEG image, not a RAW file'),
    ('png', 'is a PNG image, not a RAW file'),
    ('truncated', 'is truncated or damaged'),
    (b'\x00\x01\x02\x03' * 100, 'is not a RAW file LibRaw can read'),
])
def test_corrupt_raw_errors_name_the_file_and_what_is_wrong(tmp_path, content, what):
    import cv2
    path = tmp_path / 'bad.dng'
    if content == 'truncated':
        write_dng(path, random_mosaic((256, 256), 0, 4095), 'RGGB', 0, 4095)
        content = path.read_bytes()[:path.stat().st_size // 3]
    elif content in ('jpeg', 'png'):
        content = cv2.imencode(f'.{content[:3]}', np.zeros((32, 32, 3), np.uint8))[1].tobytes()
    path.write_bytes(content)
    for reader in (read_raw, probe_raw):
        with pytest.raises(RawReadError) as info:
            reader(path)
        assert str(info.value).startswith(f'{path} {what}'), str(info.value)
        assert 'check_dataset.py' in str(info.value)
        assert isinstance(info.value, ValueError)


def test_missing_raw_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.ARW'):
        read_raw(tmp_path / 'nope.ARW')


def test_write_dng_validates(tmp_path):
    ok = np.zeros((24, 24), np.uint16)
    with pytest.raises(ValueError, match='uint16'):
        write_dng(tmp_path / 'x.dng', ok.astype(np.float32), 'RGGB', 0, 4095)
    with pytest.raises(ValueError, match='even-sized'):
        write_dng(tmp_path / 'x.dng', ok[:23], 'RGGB', 0, 4095)
    with pytest.raises(ValueError, match='under 22 px'):
        write_dng(tmp_path / 'x.dng', ok[:20], 'RGGB', 0, 4095)
    with pytest.raises(ValueError, match='invalid levels'):
        write_dng(tmp_path / 'x.dng', ok, 'RGGB', 5000, 4095)
    with pytest.raises(ValueError, match='unknown Bayer pattern'):
        write_dng(tmp_path / 'x.dng', ok, 'RGBW', 0, 4095)

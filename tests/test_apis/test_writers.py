"""Streamed image writers: what goes in band by band comes back from the file."""
import os

import cv2
import numpy as np
import pytest
import tifffile

from mmzoom.apis.writers import (OutputError, bands_from_tiles, check_output, output_format,
                                 quantise, write_image)


def tiles_of(img, th, tw):
    h, w = img.shape[:2]
    return ((y, x, img[y:y + th, x:x + tw]) for y in range(0, h, th) for x in range(0, w, tw))


def read_back(path):
    if path.endswith('.tif'):
        return tifffile.imread(path)
    return cv2.imread(path, cv2.IMREAD_UNCHANGED)[..., ::-1]


@pytest.mark.parametrize('ext, bits', [('.tif', 16), ('.tif', 8), ('.png', 16), ('.png', 8)])
def test_lossless_formats_round_trip(tmp_path, ext, bits):
    rng = np.random.default_rng(0)
    dtype = np.uint8 if bits == 8 else np.uint16
    # 300 rows in bands of 37: the TIFF writer regroups rows into its 256 px tiles.
    img = rng.integers(0, np.iinfo(dtype).max, (300, 70, 3)).astype(dtype)
    path = str(tmp_path / f'out{ext}')
    write_image(path, 300, 70, bits, bands_from_tiles(tiles_of(img, 37, 32), 70))
    back = read_back(path)
    assert back.dtype == dtype and back.shape == img.shape
    np.testing.assert_array_equal(back, img)
    assert os.listdir(tmp_path) == [f'out{ext}']


def test_jpeg_is_8_bit_and_close(tmp_path):
    img = np.tile(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None], (48, 1, 3))
    path = str(tmp_path / 'out.jpg')
    write_image(path, 48, 64, 8, bands_from_tiles(tiles_of(img, 16, 16), 64))
    assert np.abs(read_back(path).astype(int) - img).max() <= 4


def test_an_interrupted_write_leaves_no_file(tmp_path):
    def bands():
        yield np.zeros((8, 16, 3), np.uint16)
        raise KeyboardInterrupt

    path = str(tmp_path / 'out.tif')
    with pytest.raises(KeyboardInterrupt):
        write_image(path, 16, 16, 16, bands())
    assert os.listdir(tmp_path) == []


def test_incomplete_image_is_an_error(tmp_path):
    with pytest.raises(ValueError, match='incomplete'):
        write_image(str(tmp_path / 'a.png'), 16, 8, 8, iter([np.zeros((8, 8, 3), np.uint8)]))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('path, bits, match', [
    ('x.txt', None, 'must end in'), ('x.jpg', 16, 'JPEG cannot hold 16-bit'),
    ('x', 8, 'must end in')])
def test_bad_outputs(path, bits, match):
    with pytest.raises(OutputError, match=match):
        output_format(path, bits)


def test_defaults_and_jpeg_size_limit():
    assert output_format('a.tiff') == ('TIFF', 16)
    assert output_format('a.PNG') == ('PNG', 8)
    with pytest.raises(OutputError, match='at most 65500'):
        check_output('a.jpg', 100, 70000, 8)


def test_quantise_rounds_and_clips():
    rgb = np.array([[[-3.0, 127.6, 300.0]]], np.float32)
    assert quantise(rgb, 8).tolist() == [[[0, 128, 255]]]
    assert quantise(rgb, 16).tolist() == [[[0, 32793, 65535]]]  # 127.6 * 65535 / 255

"""EXIF focal length (tag 37386) of JPGs, read and written with Pillow."""
import numpy as np
import pytest
from PIL import Image

from mmzoom.raw.exif import FocalLengthError, read_focal_length, write_jpeg


@pytest.mark.parametrize('focal', [24.0, 70.5, 240.0])
def test_focal_length_round_trip(tmp_path, focal):
    path = tmp_path / '00001.JPG'
    write_jpeg(path, np.zeros((16, 24, 3), np.uint8), focal)
    assert read_focal_length(path) == focal
    with Image.open(path) as img:  # stored where cameras store it: the Exif sub-IFD
        assert float(img.getexif().get_ifd(0x8769)[37386]) == focal


def test_missing_focal_length_names_the_file(tmp_path):
    path = tmp_path / 'plain.jpg'
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    with pytest.raises(FocalLengthError, match='no EXIF FocalLength') as info:
        read_focal_length(path)
    assert str(path) in str(info.value)


def test_corrupt_or_missing_jpg(tmp_path):
    path = tmp_path / 'empty.JPG'
    path.write_bytes(b'')
    with pytest.raises(FocalLengthError, match='cannot read EXIF') as info:
        read_focal_length(path)
    assert str(path) in str(info.value)
    with pytest.raises(FileNotFoundError, match='gone.JPG'):
        read_focal_length(tmp_path / 'gone.JPG')


def test_write_jpeg_validates(tmp_path):
    with pytest.raises(ValueError, match='uint8'):
        write_jpeg(tmp_path / 'x.jpg', np.zeros((8, 8, 3), np.float32), 50)

"""EXIF focal length of SR-RAW JPGs (tag 37386, FocalLength), read and written with Pillow.

The field-of-view ratio between two shots of a zoom sequence is the ratio of their focal lengths;
SR-RAW stores them only in the camera JPGs (the ARW of the same shot has the same value).
"""
import os
import os.path as osp
from typing import Union

import numpy as np

FOCAL_LENGTH_TAG = 37386  # EXIF FocalLength, a RATIONAL in millimetres
_EXIF_IFD = 0x8769  # pointer to the Exif sub-IFD, where cameras store FocalLength


class FocalLengthError(ValueError):
    """A JPG has no readable EXIF focal length. The message names the file."""


def read_focal_length(path: Union[str, os.PathLike]) -> float:
    """Focal length in mm from a JPG's EXIF (tag 37386).

    Looks in the Exif sub-IFD first (where cameras put it), then in IFD0.

    Raises:
        FileNotFoundError: no such file.
        FocalLengthError: unreadable image, no EXIF, no FocalLength tag, or a value <= 0.
    """
    from PIL import Image, UnidentifiedImageError

    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'JPG not found: {path}')
    try:
        with Image.open(path) as img:
            exif = img.getexif()
            value = exif.get_ifd(_EXIF_IFD).get(FOCAL_LENGTH_TAG, exif.get(FOCAL_LENGTH_TAG))
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise FocalLengthError(f'cannot read EXIF of {path}: {err}; the file is corrupt or not '
                               'an image') from err
    if value is None:
        raise FocalLengthError(f'{path} has no EXIF FocalLength (tag {FOCAL_LENGTH_TAG}); SR-RAW '
                               'needs it for the field-of-view ratio. Use the camera original, '
                               'or write the tag (e.g. exiftool -FocalLength=...)')
    try:
        focal = float(value[0]) / float(value[1]) if isinstance(value, tuple) else float(value)
    except (TypeError, ValueError, ZeroDivisionError) as err:
        raise FocalLengthError(f'{path}: unreadable EXIF FocalLength {value!r}') from err
    if not np.isfinite(focal) or focal <= 0:
        raise FocalLengthError(f'{path}: EXIF FocalLength is {focal}, expected a positive value')
    return focal


def write_jpeg(path: Union[str, os.PathLike], rgb: np.ndarray, focal_length: float,
               quality: int = 95) -> None:
    """Save an (H, W, 3) uint8 RGB image as a JPG whose EXIF carries ``focal_length`` (mm)."""
    from PIL import ExifTags, Image, TiffImagePlugin

    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f'write_jpeg needs an (H, W, 3) uint8 RGB image, got {rgb.dtype} '
                         f'{rgb.shape}')
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = 'mmzoom'
    exif.get_ifd(_EXIF_IFD)[FOCAL_LENGTH_TAG] = TiffImagePlugin.IFDRational(
        int(round(focal_length * 100)), 100)
    os.makedirs(osp.dirname(osp.abspath(os.fspath(path))), exist_ok=True)
    Image.fromarray(rgb).save(os.fspath(path), format='JPEG', quality=quality, exif=exif)

"""Loading SR-RAW shots: the Bayer RAW (network input) and the camera JPGs (target, RGB input).

Both loaders record where the loaded array sits in its shot's full frame (``<key>_origin``, the
frame pixel of array pixel (0, 0), and ``<key>_frame_shape``), because
:class:`~mmzoom.datasets.transforms.SRRawFovAlign` maps frame coordinates through the
``tform.txt`` warps. Images are kept in RGB order and no ``<key>_channel_order`` is set, so
MMagic's data preprocessor leaves the channel order alone (see :mod:`mmzoom.datasets`).
"""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform

from mmagic.registry import TRANSFORMS
from mmzoom.raw import BAYER_PATTERNS, cfa_offset, read_raw


@TRANSFORMS.register_module()
class LoadRawFromFile(BaseTransform):
    """Decode a Bayer RAW file into a normalised mosaic in a canonical CFA phase (SDAN input).

    SDAN feeds the full-resolution mosaic, ``(raw - black) / (white - black)``, not clipped
    (SDAN Sec. 3, public code). Levels and CFA pattern come from the file
    (:func:`mmzoom.raw.read_raw`), not from the Sony defaults. The mosaic is then cropped by
    one row and/or column (:func:`mmzoom.raw.cfa_offset`) so that it starts with
    ``canonical_pattern``, and trimmed to even sides, so every later step (and the network) sees
    one phase whatever the camera. Finally it is multiplied by ``value_scale`` (255) so that
    inputs and targets share the 0..255 scale of MMagic's data preprocessor.

    Required keys: ``<key>_path``.
    Added keys:
        - ``<key>``: (H', W', 1) float32 mosaic, ``canonical_pattern`` phase, H' and W' even.
        - ``cfa_pattern``: the file's own pattern (e.g. ``'GBRG'``).
        - ``mosaic_pattern``: pattern of ``<key>`` (``canonical_pattern``); CFA-aware transforms
          keep it up to date.
        - ``<key>_origin``: (row, col) of ``<key>[0, 0]`` in the file's visible mosaic.
        - ``<key>_frame_shape``: (H, W) of the visible mosaic.
        - ``ori_<key>_shape``: (H', W', 1).
        - ``raw_black_level`` (4 values, row-major tile), ``raw_white_level``.
        - ``raw_rgb_cam`` (3x3), ``raw_camera_wb`` (R, G, B): the file's colour matrix and
          as-shot white balance (:class:`mmzoom.raw.RawImage`), for SDAN's rendered reference.

    Args:
        key (str): results key. Default: ``'img'``.
        canonical_pattern (str): CFA phase of the output. Default: ``'RGGB'``.
        value_scale (float): factor applied after normalisation. Default: 255.
        black_level (float | Sequence[float], optional): override the file's black level.
        white_level (float, optional): override the file's white level.
    """

    def __init__(self, key: str = 'img', canonical_pattern: str = 'RGGB',
                 value_scale: float = 255.0, black_level=None, white_level=None) -> None:
        if canonical_pattern not in BAYER_PATTERNS:
            raise ValueError(f'canonical_pattern must be one of {BAYER_PATTERNS}, got '
                             f'{canonical_pattern!r}')
        self.key = key
        self.canonical_pattern = canonical_pattern
        self.value_scale = float(value_scale)
        self.black_level = black_level
        self.white_level = white_level

    def transform(self, results: dict) -> dict:
        path = results[f'{self.key}_path']
        raw = read_raw(path, black_level=self.black_level, white_level=self.white_level)
        dy, dx = cfa_offset(raw.pattern, self.canonical_pattern)
        h, w = raw.mosaic.shape
        # Even sides after the phase crop, so that the mosaic packs into 2x2 tiles.
        h_out, w_out = (h - dy) // 2 * 2, (w - dx) // 2 * 2
        if h_out < 2 or w_out < 2:
            raise ValueError(f'{path}: mosaic of {h}x{w} px is too small')
        mosaic = raw.mosaic[dy:dy + h_out, dx:dx + w_out] * np.float32(self.value_scale)
        results[self.key] = np.ascontiguousarray(mosaic[..., None], dtype=np.float32)
        results['cfa_pattern'] = raw.pattern
        results['mosaic_pattern'] = self.canonical_pattern
        results[f'{self.key}_origin'] = (dy, dx)
        results[f'{self.key}_frame_shape'] = (h, w)
        results[f'ori_{self.key}_shape'] = results[self.key].shape
        results['raw_black_level'] = raw.black
        results['raw_white_level'] = raw.white
        results['raw_rgb_cam'] = raw.rgb_cam
        results['raw_camera_wb'] = raw.camera_wb
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(key={self.key!r}, canonical_pattern='
                f'{self.canonical_pattern!r}, value_scale={self.value_scale}, black_level='
                f'{self.black_level}, white_level={self.white_level})')


@TRANSFORMS.register_module()
class LoadSRRawJpg(BaseTransform):
    """Decode an SR-RAW camera JPG as stored: (H, W, 3) uint8 RGB, EXIF orientation ignored.

    The HR target and, in RGB-input mode, the LR input of SR-RAW are camera JPGs. They must be
    read in their stored pixel grid (like the ECC alignment of ``tform.txt`` and the RAW sensor
    grid), so EXIF orientation is ignored, unlike MMagic's ``LoadImageFromFile`` with
    ``color_type='color'``. The image stays uint8 (a 42 MP float copy is 500 MB);
    :class:`~mmzoom.datasets.transforms.SRRawFovAlign` converts the region it keeps.

    Required keys: ``<key>_path``.
    Added keys: ``<key>`` (H, W, 3) uint8 RGB; ``<key>_origin`` (0, 0); ``<key>_frame_shape``
    (H, W); ``ori_<key>_shape``.

    Args:
        key (str): results key. Default: ``'gt'``.
    """

    def __init__(self, key: str = 'gt') -> None:
        self.key = key

    def transform(self, results: dict) -> dict:
        import cv2

        path = results[f'{self.key}_path']
        if not osp.isfile(path):
            raise FileNotFoundError(f'JPG not found: {path}')
        img = cv2.imread(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        if img is None:
            raise ValueError(f'cannot decode JPG {path} (0-byte, truncated or not an image); '
                             'tools/dataset_converters/srraw/check_dataset.py lists such files')
        results[self.key] = np.ascontiguousarray(img[..., ::-1])
        results[f'{self.key}_origin'] = (0, 0)
        results[f'{self.key}_frame_shape'] = img.shape[:2]
        results[f'ori_{self.key}_shape'] = img.shape
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(key={self.key!r})'

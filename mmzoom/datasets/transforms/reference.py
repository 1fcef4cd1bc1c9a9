"""SDAN's references: Y' (the target brought down to the LR grid, for training and the oracle)
and the LR shot's own camera JPG on the mosaic grid (an inference reference that uses no ground
truth)."""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform

from mmagic.registry import TRANSFORMS
from mmzoom.raw.geometry import resize_map, translate
from mmzoom.raw.white_balance import remove_white_balance

_INTERPOLATIONS = ('bicubic', 'area')


@TRANSFORMS.register_module()
class MakeReference(BaseTransform):
    """Downsample the target to the LR grid: SDAN's reference Y' (SDAN Sec. 3.2).

    SDAN aligns its LR features to Y' (3 channels at the mosaic grid) and supervises the aligned
    LR image X' with it. ``'bicubic'`` (default) is the public code's
    ``F.interpolate(gt, size, mode='bicubic', align_corners=False)`` (no anti-aliasing; OpenCV's
    ``INTER_CUBIC`` computes the same kernel); ``'area'`` averages each ``scale x scale`` block
    (anti-aliased). Computed after cropping, flipping and white-balance removal, so it is
    exactly the downsampled target the network sees.

    Required keys: ``<key>`` (s*h, s*w, 3), ``<size_key>`` (h, w, C).
    Added keys: ``<out_key>`` (h, w, 3) float32, 0..255 (clipped after bicubic overshoot).

    Args:
        key (str): source. Default: ``'gt'``.
        out_key (str): output. Default: ``'ref'`` (MMagic's ``PackInputs`` packs it as
            ``ref_img``).
        size_key (str): array whose grid the output takes. Default: ``'img'``.
        interpolation (str): ``'bicubic'`` or ``'area'``. Default: ``'bicubic'``.
        clip (bool): clip to 0..255. Default: True.
    """

    def __init__(self, key: str = 'gt', out_key: str = 'ref', size_key: str = 'img',
                 interpolation: str = 'bicubic', clip: bool = True) -> None:
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of {_INTERPOLATIONS}, got '
                             f'{interpolation!r}')
        self.key, self.out_key, self.size_key = key, out_key, size_key
        self.interpolation = interpolation
        self.clip = clip

    def transform(self, results: dict) -> dict:
        import cv2

        h, w = results[self.size_key].shape[:2]
        src = np.ascontiguousarray(results[self.key], dtype=np.float32)
        flag = cv2.INTER_CUBIC if self.interpolation == 'bicubic' else cv2.INTER_AREA
        ref = cv2.resize(src, (w, h), interpolation=flag).reshape(h, w, -1)
        results[self.out_key] = np.clip(ref, 0, 255) if self.clip else ref
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(key={self.key!r}, out_key={self.out_key!r}, size_key='
                f'{self.size_key!r}, interpolation={self.interpolation!r}, clip={self.clip})')


@TRANSFORMS.register_module()
class LRJpgReference(BaseTransform):
    """The LR shot's camera JPG, cut to the pixels of the mosaic patch, white balance removed:
    the inference reference ``ref_mode='lr_jpg'`` of :class:`~mmzoom.models.SDAN`.

    Y' (training) is the HR camera JPG, white balance removed, on the mosaic grid; the LR shot's
    JPG shows the same view through the same camera processing (colour matrix, tone curve), so
    it is the reference closest to Y' that uses no ground truth. The public SDAN code feeds it
    in its non-oracle validation. The mosaic and the JPG of one shot share their pixel grid
    (SR-RAW's Sony files; otherwise the JPG is resampled by their sizes), so the patch of the
    JPG is the mosaic's: frame rows/columns ``img_origin + crop_pos``.

    Put it after the crop, for evaluation pipelines (training flips are not followed: it refuses
    a flipped sample). A JPG that is missing or unreadable leaves no ``lr_ref`` (a model with
    ``ref_mode='lr_jpg'`` then says so); every other SR-RAW path works without it.

    Required keys: ``img`` (h, w, C), ``img_origin``, ``img_frame_shape``, ``lr_jpg_path``,
    ``img_wb_gains``; ``crop_pos`` when a crop ran.
    Added keys: ``lr_ref`` (h, w, 3) float32 RGB, 0..255 (pack it with
    ``PackInputs(data_keys=['lr_ref'])``).

    Args:
        gamma (float): encoding gamma of the white-balance removal. Default: 2.2.
    """

    def __init__(self, gamma: float = 2.2) -> None:
        self.gamma = gamma

    def transform(self, results: dict) -> dict:
        import cv2

        from .alignment import warp_region
        path = results.get('lr_jpg_path')
        if not path or not osp.isfile(path):
            return results
        if results.get('cfa_flips'):
            raise ValueError('LRJpgReference follows unflipped samples only (an evaluation '
                             'reference); put it in val/test pipelines')
        if 'img_wb_gains' not in results:
            raise KeyError(f'LRJpgReference: no white balance of the LR shot ({path}) in '
                           'wb.txt; run tools/dataset_converters/srraw/compute_wb.py')
        jpg = cv2.imread(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        if jpg is None:
            return results
        jpg = jpg[..., ::-1]
        h, w = results['img'].shape[:2]
        top, left = results['img_origin']
        dy, dx = results.get('crop_pos', (0, 0))
        top, left = top + dy, left + dx
        frame = tuple(results['img_frame_shape'])
        if jpg.shape[:2] == frame:
            ref = jpg[top:top + h, left:left + w].astype(np.float32)
        else:  # another grid: map frame pixels onto the JPG by the two sizes
            ref = warp_region(jpg, resize_map(jpg.shape[:2], frame) @ translate(left, top),
                              (h, w))
        results['lr_ref'] = np.clip(
            remove_white_balance(ref, results['img_wb_gains'], self.gamma), 0, 255)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(gamma={self.gamma})'

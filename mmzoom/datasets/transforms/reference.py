"""The reference Y' of SDAN: the target brought down to the LR grid."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmagic.registry import TRANSFORMS

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

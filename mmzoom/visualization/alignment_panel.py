"""One SDAN sample's alignment as a panel of images on the input grid."""
from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor

#: The panel's columns, left to right.
PANEL_COLUMNS = ('reference', "aligned X'", 'offsets', "M'", 'M', 'zoom')


def _rgb(img: Tensor) -> np.ndarray:
    """(3, h, w) on 0..1 -> (h, w, 3) uint8."""
    return np.clip(img.detach().float().cpu().permute(1, 2, 0).numpy() * 255 + 0.5, 0,
                   255).astype(np.uint8)


def _grey(mask: Tensor) -> np.ndarray:
    """(1, h, w) on 0..1 -> (h, w, 3) uint8."""
    return _rgb(mask.expand(3, -1, -1))


def offset_colours(offset: Tensor) -> np.ndarray:
    """(2k, h, w) offsets ((dy, dx) per sampling point) -> (h, w, 3) uint8 flow colours (mmcv's
    ``flow2rgb``: hue = direction, saturation = length; per-point offsets are averaged)."""
    from mmcv import flow2rgb

    offset = offset.detach().float().cpu()
    flow = np.stack([offset[1::2].mean(0).numpy(), offset[0::2].mean(0).numpy()], axis=-1)
    return (np.clip(flow2rgb(flow), 0, 1) * 255 + 0.5).astype(np.uint8)


def alignment_panel(reference: Tensor, aligned: Tensor, offset: Tensor, mask_lr: Tensor,
                    mask_hr: Tensor, zoom: Tensor) -> np.ndarray:
    """The :data:`PANEL_COLUMNS` of one sample side by side, as one (h, 6w, 3) uint8 RGB image.

    Args:
        reference: (3, h, w) on 0..1, the reference the model aligned to (or Y').
        aligned: (3, h, w) on 0..1, X'.
        offset: (2, h, w) squared or (18, h, w) per-point offsets, input pixels.
        mask_lr: (1, h, w) M'; mask_hr: (1, s*h, s*w) M, shown area-averaged to the input grid.
        zoom: (3, s*h, s*w) on 0..1, the zoomed output, area-averaged to the input grid.
    """
    h, w = reference.shape[-2:]

    def down(t: Tensor) -> Tensor:
        return torch.nn.functional.adaptive_avg_pool2d(t.detach().float().cpu()[None],
                                                       (h, w))[0]

    return np.concatenate([_rgb(reference), _rgb(aligned), offset_colours(offset),
                           _grey(mask_lr), _grey(down(mask_hr)), _rgb(down(zoom))], axis=1)


def centre_window(shape: Tuple[int, int], max_side: Optional[int],
                  grid: int = 2) -> Tuple[slice, slice]:
    """Rows and columns of the central ``max_side`` x ``max_side`` input pixels of ``shape``
    (all of it when smaller or ``max_side`` is falsy), starting and ending on ``grid``."""
    h, w = shape
    if not max_side or max(h, w) <= max_side:
        return slice(0, h), slice(0, w)
    ch, cw = (min(v, max_side) // grid * grid for v in (h, w))
    top, left = (h - ch) // 2 // grid * grid, (w - cw) // 2 // grid * grid
    return slice(top, top + ch), slice(left, left + cw)

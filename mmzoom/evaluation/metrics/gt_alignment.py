"""Aligning the ground truth onto a prediction before measuring (the "aligned" SR-RAW metrics).

SR-RAW pairs stay misaligned after the dataset's ECC alignment (users report about 10 px at 512
px), so a perfect zoom of the LR shot still differs from the HR shot by a warp and a colour
change. Later work on SR-RAW-like data ("Learning RAW-to-sRGB Mappings with Inaccurately Aligned
Supervision", ICCV 2021) reports metrics after aligning the target to the output beside the
plain ones. Here:

1. a dense optical flow from the prediction to the target: OpenCV's DIS flow on the BT.601 luma
   (no network weights), medium preset;
2. the target warped onto the prediction with it (bilinear); pixels whose source lies outside
   the target cannot be filled;
3. a global colour mapping fitted by least squares, target -> prediction, 3x3 matrix plus offset
   (the camera's colour and exposure differ between the two shots), applied to the warped target;
4. the measurement restricted to the largest box of filled pixels (inside the protocol's
   border crop) when it keeps at least half of each side; otherwise (a flow torn by content that
   does not match) the whole crop is measured and unfilled pixels keep the unwarped,
   colour-mapped target, so they count with their plain error.
"""
from typing import Optional, Tuple

import numpy as np


_FIT_PIXELS = 1_000_000


def _luma_u8(img: np.ndarray) -> np.ndarray:
    y = img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114
    return np.clip(np.rint(y), 0, 255).astype(np.uint8)


def measured_box(valid: np.ndarray) -> Optional[Tuple[int, int, int, int]]:
    """:func:`filled_box` if it keeps at least half of each side of ``valid``, else None
    (measure everything)."""
    top, bottom, left, right = filled_box(valid)
    h, w = valid.shape
    return (top, bottom, left, right) if 2 * (bottom - top) >= h and 2 * (right - left) >= w \
        else None


def filled_box(valid: np.ndarray) -> Tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of the box that drops the rows and columns, from each
    side inwards, holding a pixel the warp could not fill."""
    rows, cols = valid.all(axis=1), valid.all(axis=0)
    if not rows.any() or not cols.any():
        return 0, 0, 0, 0
    top, bottom = int(np.argmax(rows)), len(rows) - int(np.argmax(rows[::-1]))
    left, right = int(np.argmax(cols)), len(cols) - int(np.argmax(cols[::-1]))
    inner = valid[top:bottom, left:right]
    while inner.size and not inner.all():  # holes inside: shrink symmetrically
        top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
        inner = valid[top:bottom, left:right]
    return top, max(bottom, top), left, max(right, left)


def align_target(pred: np.ndarray, gt: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``gt`` warped and colour-mapped onto ``pred`` (both (H, W, 3) RGB on 0..255), and the
    (H, W) mask of the pixels the warp could fill (the others hold the unwarped target)."""
    import cv2

    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and target {gt.shape} differ in size')
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(_luma_u8(pred), _luma_u8(gt), None)  # pred pixel p <-> gt pixel p + flow
    h, w = pred.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x, map_y = grid_x + flow[..., 0], grid_y + flow[..., 1]
    warped = cv2.remap(gt.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    valid = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    warped[~valid] = gt[~valid]
    # The fit needs no more than about a million pixels (a 42 MP frame would need 2.6 GB).
    step = max(1, int(np.sqrt(h * w / _FIT_PIXELS)))
    sub_valid = valid[::step, ::step]
    src = warped[::step, ::step][sub_valid].astype(np.float64)
    dst = pred[::step, ::step][sub_valid].astype(np.float64)
    if len(src) >= 4:
        design = np.concatenate([src, np.ones((len(src), 1))], axis=1)
        coef, *_ = np.linalg.lstsq(design, dst, rcond=None)  # (4, 3): RGB + 1 -> RGB
        coef = coef.astype(np.float32)
        warped = np.clip(warped @ coef[:3] + coef[3], 0, 255).astype(np.float32)
    return warped, valid

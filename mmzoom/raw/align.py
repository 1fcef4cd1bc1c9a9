"""ECC affine alignment of the shots of an SR-RAW zoom sequence (what ``tform.txt`` stores).

Per sequence, every JPG k is cut to the field of view of 00001 (:func:`~mmzoom.raw.fov.crop_fov`
with the focal-length ratio), resized to the size of 00001 and registered to 00001 with OpenCV's
ECC (``findTransformECC``, ``MOTION_AFFINE``) at a reduced scale; the warps are then expressed in
full-resolution pixels (format and convention in :mod:`mmzoom.raw.metafiles`).
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple, Union

import numpy as np

from .exif import read_focal_length
from .fov import crop_fov, fov_ratio
from .geometry import as3x3, inner_box, quad_corners, resize_map
from .metafiles import write_tform
from .srraw_tree import JPG_EXTENSIONS, shot_paths

PathLike = Union[str, os.PathLike]


class AlignmentError(RuntimeError):
    """ECC did not converge for an image; the message names it."""


def ecc_affine(template: np.ndarray, image: np.ndarray, init: Optional[np.ndarray] = None,
               iterations: int = 500, eps: float = 1e-6,
               gauss_size: int = 5) -> Tuple[np.ndarray, float]:
    """Affine warp ``A`` with ``image(A @ [x, y, 1]) ~ template(x, y)``, by ECC maximisation.

    Args:
        template: (H, W) float32 reference image.
        image: (H, W) float32 image to register to it.
        init: initial (2, 3) warp; identity if None.
        iterations, eps: ECC stopping criteria.
        gauss_size: Gaussian pre-smoothing kernel of ECC (odd, OpenCV's default 5).

    Returns:
        ``(warp, cc)``: (2, 3) float64 warp and the final correlation coefficient.

    Raises:
        AlignmentError: ECC diverged or the images carry no texture.
    """
    import cv2

    if template.shape != image.shape or template.ndim != 2:
        raise ValueError(f'ECC needs two 2-D images of the same size, got {template.shape} and '
                         f'{image.shape}')
    warp = np.eye(2, 3, dtype=np.float32) if init is None else np.asarray(init, np.float32).copy()
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, eps)
    try:
        cc, warp = cv2.findTransformECC(np.ascontiguousarray(template, np.float32),
                                        np.ascontiguousarray(image, np.float32), warp,
                                        cv2.MOTION_AFFINE, criteria, None, gauss_size)
    except cv2.error as err:
        raise AlignmentError(f'ECC failed: {str(err).strip().splitlines()[-1]}') from err
    return warp.astype(np.float64), float(cc)


def rescale_affine(warp: np.ndarray, from_size: Tuple[int, int],
                   to_size: Tuple[int, int]) -> np.ndarray:
    """Express a warp between two ``from_size`` frames in ``to_size`` frames.

    Both frames are assumed to be ``cv2.resize`` results of one another, whose pixel-centre
    mapping is ``x_to = (x_from + 0.5) * to_w / from_w - 0.5`` (same for y). Not just a scaling
    of the translation: the half-pixel offsets matter at sub-pixel accuracy.

    Args:
        warp: (2, 3) warp between ``from_size`` frames.
        from_size, to_size: ``(height, width)``.
    """
    # to-frame pixels -> from-frame pixels is a cv2 resize map.
    to_from = resize_map(from_size, to_size)
    full = np.linalg.inv(to_from) @ as3x3(warp) @ to_from
    return full[:2]


def common_region(tforms: Mapping[int, np.ndarray],
                  size: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """Region of the reference frame covered by every warped image, as in SR-RAW's ``corner:``.

    The corners of each image ((0, 0), (w, 0), (0, h), (w, h)) are mapped into the reference
    frame with the inverse warp; the left/top bounds are the largest of the left/top corners,
    the right/bottom bounds the smallest of the right/bottom ones.

    Args:
        tforms: k -> (2, 3) warp from the reference frame to image k.
        size: ``(height, width)`` of the reference frame (all images have this size after the
            FOV crop and resize).

    Returns:
        ``(min_h, max_h, min_w, max_w)`` integers, clipped to the frame.
    """
    h, w = size
    # SR-RAW's rule maps the points 0 and w (not the pixel edges -0.5 and w - 0.5): kept, so that
    # the box is the one its ``corner:`` lines hold.
    corners = quad_corners(0.0, float(w), 0.0, float(h))
    min_h, max_h, min_w, max_w = 0.0, float(h), 0.0, float(w)
    for warp in tforms.values():
        top, bottom, left, right = inner_box(np.linalg.inv(as3x3(warp)) @ corners)
        min_h, max_h = max(min_h, top), min(max_h, bottom)
        min_w, max_w = max(min_w, left), min(max_w, right)
    box = (int(np.ceil(min_h)), int(np.floor(max_h)), int(np.ceil(min_w)), int(np.floor(max_w)))
    if box[1] <= box[0] or box[3] <= box[2]:
        raise AlignmentError(f'the aligned images share no common region (box {box})')
    return box


@dataclass
class SequenceAlignment:
    """Result of :func:`align_sequence` (what ``tform.txt`` stores, plus diagnostics)."""
    tforms: Dict[int, np.ndarray]
    corner: Tuple[int, int, int, int]
    size: Tuple[int, int]
    focal_lengths: Dict[int, float]
    cc: Dict[int, float] = field(default_factory=dict)


def _read_gray(path: str) -> np.ndarray:
    import cv2

    # Pixels as stored: EXIF orientation is ignored so that the JPG frame stays the RAW frame.
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
    if img is None:
        raise ValueError(f'cannot decode image {path} (0-byte or corrupt); run '
                         'tools/dataset_converters/srraw/check_dataset.py')
    return img


def align_sequence(jpg_paths: Mapping[int, PathLike], scale: float = 0.25,
                   reference: Optional[int] = None, iterations: int = 500, eps: float = 1e-6,
                   min_side: int = 256) -> SequenceAlignment:
    """ECC-align every JPG of one sequence to the reference shot (default: the smallest index).

    Args:
        jpg_paths: shot index k -> JPG path (focal lengths are read from their EXIF).
        scale: resolution of the ECC solve relative to the reference JPG (SR-RAW JPGs are 42 MP;
            0.25 keeps the solve to seconds while the result stays sub-pixel at full size).
        min_side: the solve image keeps at least this many pixels on its short side (so small
            images, such as the demo data, are aligned at full resolution).
        reference: index of the reference shot.
        iterations, eps: ECC stopping criteria.

    Returns:
        :class:`SequenceAlignment` with full-resolution warps (the reference's is the identity).
    """
    import cv2

    if not jpg_paths:
        raise ValueError('align_sequence got no images')
    if not 0 < scale <= 1:
        raise ValueError(f'scale must be in (0, 1], got {scale}')
    paths = {int(k): os.fspath(p) for k, p in jpg_paths.items()}
    ref = min(paths) if reference is None else reference
    focal = {k: read_focal_length(p) for k, p in paths.items()}
    ref_img = _read_gray(paths[ref])
    size = ref_img.shape[:2]
    scale = min(1.0, max(scale, min_side / min(size)))
    small = (int(round(size[0] * scale)), int(round(size[1] * scale)))

    def to_small(img: np.ndarray) -> np.ndarray:
        out = cv2.resize(img, (small[1], small[0]), interpolation=cv2.INTER_AREA)
        return out.astype(np.float32) / 255.0

    template = to_small(ref_img)
    tforms = {ref: np.eye(2, 3)}
    ccs = {ref: 1.0}
    warp = None
    # Shots in order of decreasing focal length: each starts from its neighbour's warp, which is
    # closer than the identity when the camera drifts along the zoom sweep.
    for k in sorted(paths, key=lambda i: (-focal[i], i)):
        if k == ref:
            continue
        img = _read_gray(paths[k])
        try:
            cropped = crop_fov(img, fov_ratio(focal[k], focal[ref]))
        except ValueError as err:
            raise ValueError(f'{paths[k]}: {err}') from err
        try:
            warp, cc = ecc_affine(template, to_small(cropped), init=warp, iterations=iterations,
                                  eps=eps)
        except AlignmentError:
            try:  # a bad neighbour estimate can mislead; retry from the identity
                warp, cc = ecc_affine(template, to_small(cropped), iterations=iterations, eps=eps)
            except AlignmentError as err:
                raise AlignmentError(f'{paths[k]} could not be aligned to {paths[ref]}: {err}'
                                     ) from err
        tforms[k] = rescale_affine(warp, small, size)
        ccs[k] = cc
    return SequenceAlignment(tforms=tforms, corner=common_region(tforms, size), size=size,
                             focal_lengths=focal, cc=ccs)


def compute_sequence_tform(seq_dir: PathLike, scale: float = 0.25, iterations: int = 500,
                           min_side: int = 256) -> SequenceAlignment:
    """Align the JPGs of one sequence folder (:func:`align_sequence`) and write its
    ``tform.txt``; returns the alignment. Raises ValueError if the folder has no JPGs."""
    seq_dir = os.fspath(seq_dir)
    jpgs = shot_paths(seq_dir, JPG_EXTENSIONS)
    if not jpgs:
        raise ValueError(f'{seq_dir} holds no 0000k.JPG images')
    result = align_sequence(jpgs, scale=scale, iterations=iterations, min_side=min_side)
    write_tform(osp.join(seq_dir, 'tform.txt'), result.tforms, result.corner)
    return result


def warp_to_reference(img: np.ndarray, warp: np.ndarray,
                      size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Resample an image (already FOV-cropped and resized to the reference size) into the
    reference frame with its ``tform.txt`` warp (bilinear)."""
    import cv2

    h, w = img.shape[:2] if size is None else size
    return cv2.warpAffine(img, np.asarray(warp, np.float64), (w, h),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)

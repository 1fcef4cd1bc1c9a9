"""A small SR-RAW-shaped dataset made from real photos, with known ground truth.

Each sequence imitates one SR-RAW zoom sweep: a photo is the scene, and shot k (k = 1 the longest
focal length) is the central part of it a lens at focal length ``f_k`` would see, rendered at the
common sensor size and displaced by a known sub-pixel shift (camera shake between shots). Every
shot is written twice, as SR-RAW does: a camera JPG (sRGB, EXIF FocalLength) and a Bayer RAW
(DNG written with tifffile, decoded by rawpy like an ARW) of the same view. The RAW holds linear
values with the camera white balance removed (``linear / gains``), so the white-balance gains and
the alignment warps are known exactly and stored in ``demo_truth.json``; optionally they are also
written as ``tform.txt`` / ``wb.txt``.

Because the photos are far smaller than a 42 MP sensor, long-focal-length shots are upsampled
views (soft), unlike real optical zoom: the data exercise the pipeline, not the learning task.
"""
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .align import common_region
from .bayer import BAYER_PATTERNS, tile_cfa
from .exif import write_jpeg
from .geometry import fov_frame_to_jpg
from .metafiles import write_tform, write_wb
from .rawfile import XYZ_TO_LINEAR_SRGB, write_dng

#: Default focal lengths in mm, k = 1 first. Chosen so that the SDAN pairs have exact ratios:
#: 4x for (k, k + 4), k = 1, 2, 3, and 8x for (1, 6).
DEFAULT_FOCAL_LENGTHS = (240.0, 120.0, 96.0, 80.0, 60.0, 30.0, 24.0)
DEFAULT_PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket')
TRUTH_FILE = 'demo_truth.json'
GAMMA = 2.2  # sRGB <-> linear, the approximation SR-RAW's white-balance removal uses too


def load_photos(paths: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
    """RGB uint8 photos by name: the given image files, else scikit-image's sample photographs."""
    import cv2

    photos = {}
    if paths:
        for path in paths:
            img = cv2.imread(os.fspath(path), cv2.IMREAD_COLOR)
            if img is None:
                raise ValueError(f'cannot read image {path} (missing, or not an image)')
            photos[osp.splitext(osp.basename(path))[0]] = np.ascontiguousarray(img[..., ::-1])
        return photos
    from skimage import data
    for name in DEFAULT_PHOTOS:
        photos[name] = np.ascontiguousarray(getattr(data, name)()[..., :3])
    return photos


def render_view(photo: np.ndarray, size: Tuple[int, int], zoom: float,
                centre: Tuple[float, float], shift: Tuple[float, float]) -> np.ndarray:
    """Resample the view of a shot from a scene photo.

    Output pixel ``q = (x, y)`` shows photo point ``centre + zoom * (q - c + shift)``, with ``c``
    the output centre; ``zoom`` is photo pixels per output pixel and ``shift`` (dx, dy) is in
    output pixels.

    Args:
        photo: (H, W, 3) float32 scene.
        size: output ``(height, width)``.

    Returns:
        (height, width, 3) float32.
    """
    import cv2

    h, w = size
    if zoom > 1:
        # Band-limit before decimating (warpAffine has no area filter).
        sigma = 0.5 * np.sqrt(zoom ** 2 - 1)
        photo = cv2.GaussianBlur(photo, (0, 0), sigma)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    mat = np.array([[zoom, 0, centre[0] + zoom * (shift[0] - cx)],
                    [0, zoom, centre[1] + zoom * (shift[1] - cy)]])
    return cv2.warpAffine(photo, mat, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REFLECT)


def mosaic_from_rgb(rgb: np.ndarray, pattern: str) -> np.ndarray:
    """Sample an (H, W, 3) image through a Bayer CFA: (H, W) with the colour of each site."""
    if pattern not in BAYER_PATTERNS:
        raise ValueError(f'unknown Bayer pattern {pattern!r}; expected one of {BAYER_PATTERNS}')
    channel = tile_cfa(['RGB'.index(c) for c in pattern], rgb.shape[:2], dtype=np.int64)
    return np.take_along_axis(rgb, channel[..., None], axis=2)[..., 0]


def truth_tform(size: Tuple[int, int], ratio: float, shift_ref: Tuple[float, float],
                shift_k: Tuple[float, float]) -> np.ndarray:
    """The ``tform.txt`` warp of shot k for views made by :func:`render_view`.

    Maps a pixel of the reference shot to shot k after shot k is FOV-cropped by ``ratio``
    (= f_k / f_1) and resized to ``size``, the convention of :mod:`mmzoom.raw.metafiles`.
    """
    h, w = size
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    # Reference pixel x -> shot-k pixel q: both see the same scene point.
    lin = ratio * np.eye(2)
    off = c - np.asarray(shift_k) + ratio * (np.asarray(shift_ref) - c)
    # Shot-k pixel -> pixel of its FOV crop resized to the reference size.
    frame_to_shot = fov_frame_to_jpg((h, w), ratio, (h, w))[0]
    full = np.linalg.inv(frame_to_shot) @ np.vstack([np.hstack([lin, off[:, None]]), [0, 0, 1]])
    return full[:2]


def make_demo_srraw(out: Union[str, os.PathLike],
                    photos: Optional[Dict[str, np.ndarray]] = None,
                    train_sequences: int = 2, test_sequences: int = 1,
                    size: Tuple[int, int] = (256, 384),
                    focal_lengths: Sequence[float] = DEFAULT_FOCAL_LENGTHS,
                    pattern: str = 'RGGB', black_level: Optional[float] = None,
                    bit_depth: int = 14, max_shift: float = 1.5, noise: float = 0.002,
                    raw_ext: str = 'dng', write_meta: bool = True, seed: int = 0,
                    progress: bool = False,
                    camera_matrix: Optional[Sequence[Sequence[float]]] = None) -> dict:
    """Write ``out/{train,test}/<seq:05d>/0000k.{JPG,<raw_ext>}`` and ``out/demo_truth.json``.

    Args:
        out: output root.
        photos: name -> RGB uint8 scene photos (default :func:`load_photos`), used in turn.
        train_sequences, test_sequences: number of sequences per split (numbered 00001... over
            both splits, so a sequence number is unique).
        size: sensor ``(height, width)`` of every shot, even.
        focal_lengths: mm, strictly decreasing (k = 1 longest).
        pattern: CFA pattern of the RAW files.
        black_level: RAW black level in digital numbers; default 2**(bit_depth - 5)
            (512 at 14 bit, as the Sony camera of SR-RAW).
        bit_depth: 12 or 14; white level 2**bit_depth - 1.
        max_shift: camera shake, each shot shifted by up to this many pixels per axis.
        noise: standard deviation of Gaussian sensor noise, as a fraction of the white level.
        raw_ext: extension of the RAW files (``dng``; the dataset accepts ``ARW`` too).
        write_meta: also write the true ``tform.txt`` and ``wb.txt`` of each sequence.
        seed: random seed; the same arguments give the same files.
        progress: show a progress bar.
        camera_matrix: 3x3 map from linear sRGB to the camera's RGB (rows summing to 1, so
            white stays white); written into each DNG as its colour matrix, so LibRaw's render
            inverts it, as a real camera's (whose RGB is not sRGB). Default: the identity.

    Returns:
        The ground truth also written to ``demo_truth.json``: per sequence (key
        ``"<split>/<seq>"``) the photo, focal lengths, shifts (dx, dy), warps, common region
        and white-balance gains, plus the RAW format.
    """
    from tqdm import tqdm

    h, w = size
    focal = [float(f) for f in focal_lengths]
    if h % 2 or w % 2 or min(h, w) < 32:
        raise ValueError(f'size must be even and at least 32 px, got {h}x{w}')
    if not focal or any(a <= b for a, b in zip(focal, focal[1:])) or min(focal) <= 0:
        raise ValueError(f'focal lengths must be positive and strictly decreasing (00001 is the '
                         f'longest), got {focal}')
    if bit_depth not in (12, 14, 16):
        raise ValueError(f'bit_depth must be 12, 14 or 16, got {bit_depth}')
    if pattern not in BAYER_PATTERNS:
        raise ValueError(f'unknown Bayer pattern {pattern!r}; expected one of {BAYER_PATTERNS}')
    white = 2 ** bit_depth - 1
    black = float(2 ** (bit_depth - 5) if black_level is None else black_level)
    if not 0 <= black < white / 2:
        raise ValueError(f'black level {black} out of range for {bit_depth} bit')
    photos = load_photos() if photos is None else photos
    if not photos:
        raise ValueError('no photos given')
    names = sorted(photos)
    rng = np.random.default_rng(seed)
    raw_ext = raw_ext.lstrip('.')
    cam = np.eye(3) if camera_matrix is None else np.asarray(camera_matrix, dtype=np.float64)
    if cam.shape != (3, 3) or not np.all(np.isfinite(cam)) or abs(np.linalg.det(cam)) < 1e-3:
        raise ValueError(f'camera_matrix must be an invertible 3x3 matrix, got {cam.tolist()}')
    if not np.allclose(cam.sum(axis=1), 1, atol=1e-3):
        raise ValueError(f'camera_matrix rows must sum to 1 (white stays white), got sums '
                         f'{cam.sum(axis=1).round(4).tolist()}')

    truth = dict(raw_ext=raw_ext, pattern=pattern, black_level=black, white_level=white,
                 bit_depth=bit_depth, size=[h, w], camera_matrix=cam.tolist(), sequences={})
    jobs = [('train', i) for i in range(train_sequences)] + \
           [('test', i) for i in range(test_sequences)]
    for seq_id, (split, _) in enumerate(tqdm(jobs, desc='demo sequences', disable=not progress),
                                        start=1):
        name = names[(seq_id - 1) % len(names)]
        photo = photos[name].astype(np.float32) / 255.0
        ph, pw = photo.shape[:2]
        # The widest shot sees most of the photo at the sensor's aspect ratio; a margin leaves
        # room for the shifts.
        zoom_wide = 0.9 * min(pw / w, ph / h)
        centre = ((pw - 1) / 2 + rng.uniform(-0.02, 0.02) * pw,
                  (ph - 1) / 2 + rng.uniform(-0.02, 0.02) * ph)
        gain_r, gain_b = rng.uniform(1.8, 2.4), rng.uniform(1.4, 1.9)
        seq_dir = osp.join(os.fspath(out), split, f'{seq_id:05d}')
        record = dict(photo=name, focal_lengths={}, shifts={}, tforms={}, wb_gains={})
        shifts = {}
        for k, f in enumerate(focal, start=1):
            zoom = zoom_wide * focal[-1] / f
            shift = tuple(rng.uniform(-max_shift, max_shift, size=2))
            shifts[k] = shift
            view = np.clip(render_view(photo, (h, w), zoom, centre, shift), 0, 1)
            srgb = np.round(view * 255).astype(np.uint8)
            write_jpeg(osp.join(seq_dir, f'{k:05d}.JPG'), srgb, f)

            # Camera white balance drifts a little from shot to shot, as auto-WB does.
            gains = np.array([gain_r, 1.0, gain_b]) * np.array(
                [rng.uniform(0.98, 1.02), 1.0, rng.uniform(0.98, 1.02)])
            camera_rgb = np.clip(((srgb.astype(np.float64) / 255.0) ** GAMMA) @ cam.T, 0, 1) / gains
            mosaic = mosaic_from_rgb(camera_rgb, pattern)
            digital = black + mosaic * (white - black) + rng.normal(0, noise * white, mosaic.shape)
            digital = np.clip(np.round(digital), 0, white).astype(np.uint16)
            write_dng(osp.join(seq_dir, f'{k:05d}.{raw_ext}'), digital, pattern, black, white,
                      as_shot_neutral=1.0 / gains, color_matrix=cam @ XYZ_TO_LINEAR_SRGB)

            record['focal_lengths'][k] = f
            record['shifts'][k] = [float(shift[0]), float(shift[1])]
            record['wb_gains'][k] = [float(gains[0]), 1.0, 1.0, float(gains[2])]
        tforms = {k: truth_tform((h, w), focal[k - 1] / focal[0], shifts[1], shifts[k])
                  for k in shifts}
        corner = common_region(tforms, (h, w))
        record['tforms'] = {k: t.tolist() for k, t in tforms.items()}
        record['corner'] = list(corner)
        if write_meta:
            write_tform(osp.join(seq_dir, 'tform.txt'), tforms, corner)
            write_wb(osp.join(seq_dir, 'wb.txt'), record['wb_gains'])
        truth['sequences'][f'{split}/{seq_id:05d}'] = record
    os.makedirs(os.fspath(out), exist_ok=True)
    with open(osp.join(os.fspath(out), TRUTH_FILE), 'w') as f:
        json.dump(truth, f, indent=1)
    return truth


def load_truth(root: Union[str, os.PathLike]) -> dict:
    """Read ``demo_truth.json`` with integer shot keys and numpy warps."""
    with open(osp.join(os.fspath(root), TRUTH_FILE)) as f:
        truth = json.load(f)
    for record in truth['sequences'].values():
        for key in ('focal_lengths', 'shifts', 'wb_gains', 'tforms'):
            record[key] = {int(k): v for k, v in record[key].items()}
        record['tforms'] = {k: np.array(v) for k, v in record['tforms'].items()}
        record['corner'] = tuple(record['corner'])
    return truth

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
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

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
            path = os.fspath(path)
            if not osp.isfile(path):
                raise ValueError(f'cannot read image {path} (no such file)')
            # imdecode, not imread: a bad file is reported once, here, without OpenCV's warning.
            img = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
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


def _check_sweep(size: Tuple[int, int], focal_lengths: Sequence[float], pattern: str,
                 bit_depth: int, black_level: Optional[float]) -> Tuple[list, int, float]:
    """Validate what every generated zoom sweep needs; ``(focal, white, black)`` levels."""
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
    return focal, white, black


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
    focal, white, black = _check_sweep(size, focal_lengths, pattern, bit_depth, black_level)
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


# --------------------------------------------------------------------------------------------
# An SR-RAW-like benchmark: unprocessed RAW, camera ISP, zoom-lens optics and the misalignment
# SR-RAW has, with every warp known (make_synthetic_zoom; the data model is documented in
# projects/synthetic_zoom/README.md).
# --------------------------------------------------------------------------------------------

#: XYZ(D65) -> camera RGB matrices of four imaginary cameras. Illustrative numbers with the sign
#: pattern and size of real DNG ColorMatrix1 entries, not measurements of any camera.
CAMERA_XYZ_MATRICES = np.array([
    [[0.80, -0.20, -0.10], [-0.45, 1.30, 0.10], [-0.08, 0.20, 0.62]],
    [[0.70, -0.10, -0.08], [-0.50, 1.38, 0.12], [-0.12, 0.26, 0.70]],
    [[0.92, -0.30, -0.05], [-0.40, 1.22, 0.17], [-0.05, 0.12, 0.58]],
    [[0.66, -0.16, -0.04], [-0.52, 1.45, 0.07], [-0.10, 0.18, 0.75]],
])
LINEAR_SRGB_TO_XYZ = np.linalg.inv(XYZ_TO_LINEAR_SRGB)
SYNTHETIC_TRUTH_FILE = 'synthetic_zoom_truth.json'
TRUTH_DIR = 'truth'
FLOW_FILE = 'flow.npz'
#: Grey level above which Brooks' highlight-safe white-balance inversion fades to no gain.
_SAFE_GAIN_KNEE = 0.9


def smoothstep(x: np.ndarray) -> np.ndarray:
    """The global tone curve of the camera ISP model, ``3x^2 - 2x^3`` on [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def inverse_smoothstep(y: np.ndarray) -> np.ndarray:
    """Inverse of :func:`smoothstep`: ``0.5 - sin(asin(1 - 2y) / 3)``."""
    y = np.clip(y, 0.0, 1.0)
    return 0.5 - np.sin(np.arcsin(1.0 - 2.0 * y) / 3.0)


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """Undo the ISP's tone curve then its gamma (``x ** 2.2``): display sRGB -> linear sRGB."""
    return np.maximum(inverse_smoothstep(srgb), 1e-8) ** GAMMA


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Gamma ``x ** (1 / 2.2)`` then the tone curve: linear sRGB in [0, 1] -> display sRGB."""
    return smoothstep(np.maximum(np.clip(linear, 0.0, 1.0), 1e-8) ** (1.0 / GAMMA))


def random_rgb_to_camera(rng: np.random.Generator) -> np.ndarray:
    """A camera's linear sRGB -> camera RGB matrix: a random convex mix of
    :data:`CAMERA_XYZ_MATRICES` times sRGB -> XYZ, rows normalised to sum to 1 (so white maps to
    white, as a DNG ColorMatrix normalised for D65)."""
    weights = rng.uniform(1e-3, 1.0, len(CAMERA_XYZ_MATRICES))
    xyz_to_cam = np.tensordot(weights / weights.sum(), CAMERA_XYZ_MATRICES, axes=1)
    rgb_to_cam = xyz_to_cam @ LINEAR_SRGB_TO_XYZ
    return rgb_to_cam / rgb_to_cam.sum(axis=1, keepdims=True)


def random_wb_gains(rng: np.random.Generator) -> Tuple[np.ndarray, float]:
    """As-shot white-balance gains ``(red, 1, blue)``, red ~ U(1.9, 2.4), blue ~ U(1.5, 1.9),
    and the ISP's digital exposure gain ``1 / N(0.8, 0.1)``. The normal draw is kept in
    [0.5, 1] so the exposure never darkens: unprocessing then never lifts a value above 1."""
    gains = np.array([rng.uniform(1.9, 2.4), 1.0, rng.uniform(1.5, 1.9)])
    exposure = 1.0 / float(np.clip(rng.normal(0.8, 0.1), 0.5, 1.0))
    return gains, exposure


def safe_invert_gains(camera: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Divide an (..., 3) image by per-channel ``gains`` (all >= 1), highlight-safe.

    Plain division would turn a clipped white into a grey the forward ISP no longer clips, so
    (Brooks et al. 2019) the inverse gain fades to 1 above a grey level of 0.9: a saturated pixel
    stays saturated after unprocessing and after processing again.
    """
    inverse = 1.0 / np.asarray(gains, dtype=np.float64)
    grey = camera.mean(axis=-1, keepdims=True)
    mask = (np.maximum(grey - _SAFE_GAIN_KNEE, 0.0) / (1.0 - _SAFE_GAIN_KNEE)) ** 2
    return camera * np.maximum(mask + (1.0 - mask) * inverse, inverse)


def unprocess(linear_srgb: np.ndarray, rgb_to_cam: np.ndarray, wb_gains: np.ndarray,
              exposure: float) -> np.ndarray:
    """Linear sRGB (..., 3) -> camera RGB in [0, 1] the sensor recorded: the inverse colour
    matrix, then the highlight-safe inverse of the white balance times the exposure gain."""
    camera = np.asarray(linear_srgb, dtype=np.float64) @ np.asarray(rgb_to_cam).T
    return np.clip(safe_invert_gains(camera, np.asarray(wb_gains) * exposure), 0.0, 1.0)


def process(camera: np.ndarray, rgb_to_cam: np.ndarray, wb_gains: np.ndarray,
            exposure: float = 1.0) -> np.ndarray:
    """The forward ISP up to linear sRGB: white balance (clipped at sensor saturation), camera
    RGB -> linear sRGB, exposure gain, clip to [0, 1]. With ``exposure=1`` this is LibRaw's
    linear render of the DNG (camera white balance, its ColorMatrix1, no auto-brightening)."""
    balanced = np.clip(np.asarray(camera, dtype=np.float64) * np.asarray(wb_gains), 0.0, 1.0)
    linear = np.clip(balanced @ np.linalg.inv(rgb_to_cam).T, 0.0, 1.0)
    return np.clip(linear * exposure, 0.0, 1.0)


def random_noise_levels(rng: np.random.Generator) -> Tuple[float, float]:
    """``(shot, read)`` of the noise variance ``shot * x + read`` (x the signal in [0, 1] of
    the white level): log shot ~ U(log 1e-4, log 0.012), log read = 2.18 log shot + 1.20 +
    N(0, 0.26^2), the relation Brooks et al. fit to real sensors."""
    log_shot = rng.uniform(np.log(1e-4), np.log(0.012))
    log_read = 2.18 * log_shot + 1.20 + rng.normal(0.0, 0.26)
    return float(np.exp(log_shot)), float(np.exp(log_read))


def add_sensor_noise(mosaic: np.ndarray, shot: float, read: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Heteroscedastic Gaussian noise of variance ``shot * x + read`` on a [0, 1] mosaic."""
    std = np.sqrt(shot * np.maximum(mosaic, 0.0) + read)
    return mosaic + rng.normal(0.0, 1.0, mosaic.shape) * std


def lens_blur_sigma(focal: float, focal_range: Tuple[float, float],
                    sigma_wide: float = 0.5, sigma_tele: float = 1.0) -> float:
    """Gaussian PSF sigma, in sensor pixels, of the zoom lens at ``focal`` mm.

    Model: a zoom lens is sharpest at its wide end and softest at its long end (aberrations and
    the effective f-number grow with focal length), so sigma goes linearly from ``sigma_wide``
    at ``min(focal_range)`` to ``sigma_tele`` at ``max(focal_range)``.
    """
    lo, hi = min(focal_range), max(focal_range)
    t = 0.0 if hi == lo else (float(focal) - lo) / (hi - lo)
    return float(sigma_wide + (sigma_tele - sigma_wide) * np.clip(t, 0.0, 1.0))


@dataclass
class ShotPose:
    """Misalignment of one shot against its ideal view (what a perfect camera at the same focal
    length would record). A sensor pixel ``q`` of the shot sees the ideal view at

        g(q) = c + scale * R(rotation) @ (d(q) - c) + translation + baseline * rho

    with ``c`` the frame centre, ``d(q) = c + (q - c) * (1 + distortion * |q - c|^2 / r^2)``
    the radial lens distortion (``r`` the half diagonal; > 0 barrel, < 0 pincushion) and
    ``rho`` in [0, 1] the scene's inverse depth at that point (parallax). All in pixels of the
    shot's sensor (= pixels of its ideal view).
    """
    translation: Tuple[float, float] = (0.0, 0.0)
    rotation: float = 0.0  # degrees, counter-clockwise in image coordinates (y down)
    scale: float = 1.0
    distortion: float = 0.0
    baseline: Tuple[float, float] = (0.0, 0.0)

    def global_map(self, size: Tuple[int, int]) -> np.ndarray:
        """3x3 affine part of ``g`` (no distortion, no parallax): shot pixel -> ideal pixel."""
        h, w = size
        c = np.array([(w - 1) / 2, (h - 1) / 2])
        a = np.deg2rad(self.rotation)
        lin = self.scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        off = c - lin @ c + np.asarray(self.translation, dtype=np.float64)
        return np.vstack([np.hstack([lin, off[:, None]]), [0.0, 0.0, 1.0]])

    def to_ideal(self, points: np.ndarray, size: Tuple[int, int],
                 inverse_depth: Optional[Callable[[np.ndarray], np.ndarray]] = None
                 ) -> np.ndarray:
        """``g`` of (..., 2) points ``(x, y)`` of the shot. ``inverse_depth`` maps ideal-view
        points of the global map (..., 2) to rho (...); parallax is off without it."""
        h, w = size
        c = np.array([(w - 1) / 2, (h - 1) / 2])
        rel = np.asarray(points, dtype=np.float64) - c
        if self.distortion:
            r2 = (rel ** 2).sum(axis=-1, keepdims=True) / (c ** 2).sum()
            rel = rel * (1.0 + self.distortion * r2)
        mat = self.global_map(size)
        out = (c + rel) @ mat[:2, :2].T + mat[:2, 2]
        if inverse_depth is not None and any(self.baseline):
            out = out + inverse_depth(out)[..., None] * np.asarray(self.baseline)
        return out


def pixel_grid(size: Tuple[int, int]) -> np.ndarray:
    """(H, W, 2) float64 pixel centres ``(x, y)``."""
    ys, xs = np.mgrid[0:size[0], 0:size[1]].astype(np.float64)
    return np.stack([xs, ys], axis=-1)


def invert_map(forward: Callable[[np.ndarray], np.ndarray], size: Tuple[int, int],
               iterations: int = 20) -> np.ndarray:
    """For each pixel ``p`` of an (H, W) grid, the point ``q`` with ``forward(q) = p``, by the
    fixed-point iteration ``q <- q + p - forward(q)`` (converges for maps close to the identity,
    such as :meth:`ShotPose.to_ideal`). Returns (H, W, 2) ``(x, y)``."""
    p = pixel_grid(size)
    q = p.copy()
    for _ in range(iterations):
        q = q + p - forward(q)
    return q


def global_tform(size: Tuple[int, int], ratio: float, ref_map: np.ndarray,
                 shot_map: np.ndarray) -> np.ndarray:
    """``tform.txt`` warp of shot k from the global maps (3x3, shot pixel -> ideal pixel) of the
    reference shot and of shot k; ``ratio = f_k / f_1``. The general form of
    :func:`truth_tform` (which is the case of pure translations)."""
    h, w = size
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    # Ideal view 1 -> ideal view k: both centred on the same scene point, zoomed by ratio.
    zoom = np.array([[ratio, 0.0, c[0] * (1 - ratio)], [0.0, ratio, c[1] * (1 - ratio)],
                     [0.0, 0.0, 1.0]])
    frame_to_shot = fov_frame_to_jpg((h, w), ratio, (h, w))[0]
    full = np.linalg.inv(frame_to_shot) @ np.linalg.inv(shot_map) @ zoom @ ref_map
    return full[:2]


def smooth_inverse_depth(rng: np.random.Generator, cells: Tuple[int, int] = (4, 6),
                         size: Tuple[int, int] = (64, 96)) -> np.ndarray:
    """A smooth random inverse-depth map in [0, 1] (a bicubic upsampling of a coarse random
    grid), laid over the whole scene photo."""
    import cv2

    coarse = rng.uniform(0.0, 1.0, cells).astype(np.float32)
    fine = cv2.resize(coarse, (size[1], size[0]), interpolation=cv2.INTER_CUBIC)
    fine = fine - fine.min()
    return fine / max(float(fine.max()), 1e-6)


def _remap(img: np.ndarray, points: np.ndarray, cubic: bool = True) -> np.ndarray:
    import cv2

    pts = points.astype(np.float32)
    return cv2.remap(img, pts[..., 0], pts[..., 1],
                     cv2.INTER_CUBIC if cubic else cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REFLECT)


def _write_png(path: str, rgb: np.ndarray) -> None:
    import cv2

    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f'cannot write {path}')


def make_synthetic_zoom(out: Union[str, os.PathLike],
                        photos: Optional[Dict[str, np.ndarray]] = None,
                        train_sequences: int = 2, test_sequences: int = 1,
                        size: Tuple[int, int] = (512, 768),
                        focal_lengths: Sequence[float] = DEFAULT_FOCAL_LENGTHS,
                        pattern: str = 'RGGB', bit_depth: int = 14,
                        black_level: Optional[float] = None,
                        max_translation: float = 8.0, max_rotation: float = 0.5,
                        max_scale: float = 0.01, distortion: float = 0.0,
                        parallax: float = 0.0, blur: Tuple[float, float] = (0.5, 1.0),
                        depth_cells: Tuple[int, int] = (4, 6),
                        noise: bool = True,
                        noise_levels: Optional[Tuple[float, float]] = None,
                        jpeg_quality: int = 95, tform: str = 'ecc', seed: int = 0,
                        progress: bool = False) -> dict:
    """Write an SR-RAW-like tree from photos, with the truth of every stage beside it.

    Layout: ``out/{train,test}/<seq:05d>/0000k.{JPG,dng}``, ``wb.txt`` (measured from the DNGs
    by :func:`~mmzoom.raw.white_balance.compute_wb_gains`, as compute_wb.py does) and
    ``tform.txt`` (see ``tform``); ``out/truth/<split>-<seq>/`` (a name the SR-RAW tools do
    not take for a sequence) holds per shot ``0000k.png``
    (the shot without misalignment, 8-bit sRGB) and ``0000k_linear.png`` (the same, 16-bit
    linear sRGB), the true ``tform.txt`` and ``wb.txt``, and ``flow.npz`` (dense fields) when
    distortion or parallax is on; ``out/synthetic_zoom_truth.json`` has every parameter.

    Args:
        out: output root.
        photos: name -> RGB uint8 scene photos (tone-mapped sRGB; default :func:`load_photos`).
        train_sequences, test_sequences: sequences per split (numbered over both splits).
        size: sensor ``(height, width)``, even, at least 32.
        focal_lengths: mm, strictly decreasing (00001 the longest).
        pattern, bit_depth, black_level: RAW format (default black 2**(bit_depth - 5), 512 at
            14 bit like SR-RAW's Sony camera; white 2**bit_depth - 1).
        max_translation: camera shake, up to this many pixels of the reference frame (00001)
            per axis, U(-m, m); a camera rotation moves the scene by the same angle in every
            shot, so shot k moves ``f_k / f_1`` times as many of its own pixels.
        max_rotation: degrees, U(-m, m), about the optical axis.
        max_scale: relative scale error (focus breathing), 1 + U(-m, m).
        distortion: radial distortion at the corners; ``distortion`` (barrel) at the shortest
            focal length to ``-distortion`` (pincushion) at the longest, linear between.
        parallax: largest parallax shift, in reference-frame pixels (scaled like translations),
            a random per-shot baseline direction times a smooth random inverse depth in [0, 1].
        depth_cells: rows and columns of the random grid the inverse depth is interpolated from,
            over the whole scene: (4, 6) varies over the wide shots only; the long focal lengths
            see a few percent of the scene, so local parallax there (what an affine warp cannot
            hold) needs a finer grid, e.g. (24, 36).
        blur: Gaussian PSF sigma in sensor pixels at the shortest and the longest focal length
            (:func:`lens_blur_sigma`).
        noise: add shot and read noise to the RAW (the JPGs are always made noise-free, as a
            camera denoises them).
        noise_levels: fixed ``(shot, read)``; default drawn per sequence
            (:func:`random_noise_levels`).
        jpeg_quality: quality of the camera JPGs.
        tform: ``'ecc'`` writes the tform.txt compute_tform.py would (its code, ECC), ``'truth'``
            the true global warps, ``'none'`` none (run compute_tform.py later).
        seed: random seed; the same arguments give the same files.
        progress: show a progress bar.

    Returns:
        The content of ``synthetic_zoom_truth.json``.
    """
    from tqdm import tqdm

    from .align import compute_sequence_tform
    from .white_balance import compute_sequence_wb

    h, w = size
    focal, white, black = _check_sweep(size, focal_lengths, pattern, bit_depth, black_level)
    for name, value in (('max_translation', max_translation), ('max_rotation', max_rotation),
                        ('max_scale', max_scale), ('parallax', parallax)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f'{name} must be a non-negative number, got {value}')
    if not 0 <= abs(distortion) < 0.3:
        raise ValueError(f'distortion must be in (-0.3, 0.3), got {distortion}')
    if max_scale >= 0.2 or max_rotation > 10:
        raise ValueError('max_scale must be under 0.2 and max_rotation at most 10 degrees')
    if len(depth_cells) != 2 or min(int(c) for c in depth_cells) < 2:
        raise ValueError(f'depth_cells must be two grid sizes >= 2 (rows, columns), got '
                         f'{tuple(depth_cells)}')
    if len(blur) != 2 or min(blur) < 0:
        raise ValueError(f'blur must be two non-negative sigmas (wide, tele), got {blur}')
    if not 1 <= int(jpeg_quality) <= 100:
        raise ValueError(f'jpeg_quality must be in 1..100, got {jpeg_quality}')
    if tform not in ('ecc', 'truth', 'none'):
        raise ValueError(f"tform must be 'ecc', 'truth' or 'none', got {tform!r}")
    if noise_levels is not None and (len(noise_levels) != 2 or min(noise_levels) < 0):
        raise ValueError(f'noise_levels must be (shot, read) >= 0, got {noise_levels}')
    photos = load_photos() if photos is None else photos
    if not photos:
        raise ValueError('no photos given')
    names = sorted(photos)
    rng = np.random.default_rng(seed)
    out = os.fspath(out)
    dense = bool(distortion or parallax)
    truth = dict(raw_ext='dng', pattern=pattern, black_level=black, white_level=white,
                 bit_depth=bit_depth, size=[h, w], noise=noise, jpeg_quality=int(jpeg_quality),
                 tform=tform, dense_flow=dense, sequences={})
    jobs = [('train', i) for i in range(train_sequences)] + \
           [('test', i) for i in range(test_sequences)]
    for seq_id, (split, _) in enumerate(tqdm(jobs, desc='synthetic zoom', disable=not progress),
                                        start=1):
        key = f'{split}/{seq_id:05d}'
        name = names[(seq_id - 1) % len(names)]
        photo = photos[name]
        if photo.ndim != 3 or photo.shape[2] != 3 or min(photo.shape[:2]) < 16:
            raise ValueError(f'photo {name!r} must be an RGB image of at least 16x16 px, got '
                             f'shape {photo.shape}')
        seq_dir = osp.join(out, split, f'{seq_id:05d}')
        record = _synthetic_sequence(
            seq_dir, osp.join(out, TRUTH_DIR, f'{split}-{seq_id:05d}'), photo, rng, (h, w),
            focal, pattern, black, white, max_translation, max_rotation, max_scale, distortion,
            parallax, blur, depth_cells, noise, noise_levels, int(jpeg_quality))
        record['photo'] = name
        record['measured_wb_gains'] = {k: list(g) for k, g in
                                       compute_sequence_wb(seq_dir, 'dng').items()}
        if tform == 'ecc':
            found = compute_sequence_tform(seq_dir)
            record['ecc_tforms'] = {k: t.tolist() for k, t in found.tforms.items()}
            record['ecc_corner'] = list(found.corner)
        elif tform == 'truth':
            write_tform(osp.join(seq_dir, 'tform.txt'),
                        {k: np.array(t) for k, t in record['tforms'].items()}, record['corner'])
        truth['sequences'][key] = record
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, SYNTHETIC_TRUTH_FILE), 'w') as f:
        json.dump(truth, f, indent=1)
    return truth


def _synthetic_sequence(seq_dir: str, truth_dir: str, photo: np.ndarray,
                        rng: np.random.Generator, size: Tuple[int, int], focal: list,
                        pattern: str, black: float, white: int, max_translation: float,
                        max_rotation: float, max_scale: float, distortion: float,
                        parallax: float, blur: Tuple[float, float],
                        depth_cells: Tuple[int, int], noise: bool,
                        noise_levels: Optional[Tuple[float, float]],
                        jpeg_quality: int) -> dict:
    """One zoom sweep of :func:`make_synthetic_zoom`; returns its truth record."""
    import cv2

    h, w = size
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    scene = srgb_to_linear(photo.astype(np.float64) / 255.0).astype(np.float32)
    ph, pw = scene.shape[:2]
    zoom_wide = 0.9 * min(pw / w, ph / h)
    centre = np.array([(pw - 1) / 2 + rng.uniform(-0.02, 0.02) * pw,
                       (ph - 1) / 2 + rng.uniform(-0.02, 0.02) * ph])
    rgb_to_cam = random_rgb_to_camera(rng)
    base_gains, exposure = random_wb_gains(rng)
    shot_noise, read_noise = (random_noise_levels(rng) if noise_levels is None
                              else tuple(float(v) for v in noise_levels))
    cells = (int(depth_cells[0]), int(depth_cells[1]))
    depth = smooth_inverse_depth(rng, cells, (max(64, 8 * cells[0]), max(96, 8 * cells[1])))
    depth_zoom = np.array([(depth.shape[1] - 1) / (pw - 1), (depth.shape[0] - 1) / (ph - 1)])
    lo, hi = min(focal), max(focal)
    record = dict(focal_lengths={}, poses={}, blur_sigma={}, wb_gains={}, exposure=exposure,
                  rgb_to_cam=rgb_to_cam.tolist(), noise_levels=[shot_noise, read_noise],
                  centre=centre.tolist(), tforms={})
    grid = pixel_grid(size)
    flows, maps = {}, {}
    for k, f in enumerate(focal, start=1):
        ratio = f / focal[0]
        zoom = zoom_wide * lo / f  # photo pixels per sensor pixel
        t = 0.0 if hi == lo else (f - lo) / (hi - lo)
        direction = rng.uniform(0, 2 * np.pi)
        pose = ShotPose(
            translation=tuple(ratio * rng.uniform(-max_translation, max_translation, 2)),
            rotation=float(rng.uniform(-max_rotation, max_rotation)),
            scale=float(1 + rng.uniform(-max_scale, max_scale)),
            distortion=float(distortion * (1 - 2 * t)),
            baseline=tuple(ratio * parallax * rng.uniform(0, 1) *
                           np.array([np.cos(direction), np.sin(direction)])))

        def to_photo(ideal, zoom=zoom):
            return centre + zoom * (ideal - c)

        def inverse_depth(ideal, to_photo=to_photo):
            pts = to_photo(ideal) * depth_zoom
            return _remap(depth, pts, cubic=False).astype(np.float64)

        def to_ideal(q, pose=pose, inverse_depth=inverse_depth):
            return pose.to_ideal(q, size, inverse_depth)

        sigma = lens_blur_sigma(f, (lo, hi), *blur)
        # Band-limit before decimating, as render_view does.
        src = (scene if zoom <= 1 else
               cv2.GaussianBlur(scene, (0, 0), 0.5 * np.sqrt(zoom ** 2 - 1)))
        views = []
        for ideal in (to_ideal(grid), grid):  # the shot, then its truth
            view = np.maximum(_remap(src, to_photo(ideal)), 0)
            if sigma > 0:
                view = cv2.GaussianBlur(view, (0, 0), sigma)
            views.append(view.astype(np.float64))
        # Auto-WB drifts a little from shot to shot.
        gains = base_gains * np.array([rng.uniform(0.98, 1.02), 1.0, rng.uniform(0.98, 1.02)])
        camera, camera_truth = (unprocess(v, rgb_to_cam, gains, exposure) for v in views)
        mosaic = mosaic_from_rgb(camera, pattern)
        if noise:
            mosaic = add_sensor_noise(mosaic, shot_noise, read_noise, rng)
        digital = np.clip(np.round(black + mosaic * (white - black)), 0, white).astype(np.uint16)
        write_dng(osp.join(seq_dir, f'{k:05d}.dng'), digital, pattern, black, white,
                  as_shot_neutral=1.0 / gains, color_matrix=rgb_to_cam @ XYZ_TO_LINEAR_SRGB)
        srgb = linear_to_srgb(process(camera, rgb_to_cam, gains, exposure))
        write_jpeg(osp.join(seq_dir, f'{k:05d}.JPG'), np.round(srgb * 255).astype(np.uint8), f,
                   quality=jpeg_quality)
        linear_truth = process(camera_truth, rgb_to_cam, gains, exposure)
        _write_png(osp.join(truth_dir, f'{k:05d}.png'),
                   np.round(linear_to_srgb(linear_truth) * 255).astype(np.uint8))
        _write_png(osp.join(truth_dir, f'{k:05d}_linear.png'),
                   np.round(linear_truth * 65535).astype(np.uint16))
        if distortion or parallax:
            flows[f'shot_to_ideal_{k:05d}'] = (to_ideal(grid) - grid).astype(np.float32)
            flows[f'ideal_to_shot_{k:05d}'] = (invert_map(to_ideal, size) - grid
                                               ).astype(np.float32)
        maps[k] = pose.global_map(size)
        record['focal_lengths'][k] = f
        record['poses'][k] = dict(translation=list(pose.translation), rotation=pose.rotation,
                                  scale=pose.scale, distortion=pose.distortion,
                                  baseline=list(pose.baseline))
        record['blur_sigma'][k] = sigma
        record['wb_gains'][k] = [float(gains[0]), 1.0, 1.0, float(gains[2])]
    tforms = {k: global_tform(size, focal[k - 1] / focal[0], maps[1], m) for k, m in maps.items()}
    corner = common_region(tforms, size)
    record['tforms'] = {k: t.tolist() for k, t in tforms.items()}
    record['corner'] = list(corner)
    write_tform(osp.join(truth_dir, 'tform.txt'), tforms, corner)
    write_wb(osp.join(truth_dir, 'wb.txt'), record['wb_gains'])
    if flows:
        np.savez_compressed(osp.join(truth_dir, FLOW_FILE), **flows)
    return record


def load_synthetic_truth(root: Union[str, os.PathLike]) -> dict:
    """Read ``synthetic_zoom_truth.json`` with integer shot keys and numpy warps."""
    with open(osp.join(os.fspath(root), SYNTHETIC_TRUTH_FILE)) as f:
        truth = json.load(f)
    for record in truth['sequences'].values():
        for key in ('focal_lengths', 'poses', 'blur_sigma', 'wb_gains', 'tforms',
                    'measured_wb_gains', 'ecc_tforms'):
            if key in record:
                record[key] = {int(k): v for k, v in record[key].items()}
        for key in ('tforms', 'ecc_tforms'):
            if key in record:
                record[key] = {k: np.array(v) for k, v in record[key].items()}
        record['corner'] = tuple(record['corner'])
    return truth

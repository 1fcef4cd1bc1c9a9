"""SRRawFovAlign with rotated and scaled ``tform.txt`` warps: the composition order.

The demo tree's warps are near-pure translations, and translations commute, so those tests cannot
tell ``A_HR @ inv(A_LR)`` (LR frame -> reference frame -> HR frame, the right order) from the
reverse ``inv(A_LR) @ A_HR``. Here the HR and LR shots are rendered from a photo through known
similarity maps (a rotation of a few degrees, a scale of about 1.03 and a translation), their
``tform.txt`` is written from those maps, and the aligned target is checked against the truth two
ways: the HR target brought down to the LR grid matches the LR view (PSNR), and the target's map
``gt_warp`` is the true map from target pixels to HR JPG pixels, derived from the rendering alone.
The same checks reject the reverse order and the swapped ``A_LR @ inv(A_HR)``, computed here by
handing the transform the warps that make it compose that way.
"""
import cv2
import numpy as np
import pytest
from skimage import data
from srraw_demo import mmagic_scope  # noqa: F401  (fixture: pipelines built from MMagic's registry)

from mmzoom.datasets import SRRawDataset
from mmzoom.raw import fov_crop_box, write_tform
from mmzoom.raw.exif import write_jpeg
from mmzoom.raw.synthetic import make_demo_srraw

SIZE = (256, 384)  # (h, w) of every shot
# Reference 00001, HR 00002, LR 00003: a 4x pair whose HR shot is not the reference (with
# A_HR = I both orders agree), with the LR pixel as small as a 4x pair allows (100 / 24 px of
# the reference frame, where tform.txt lives).
FOCALS = (100.0, 96.0, 24.0)
HR, LR, SCALE = 2, 3, 4
PSNR_MIN = 33.0  # the right composition reaches ~36 dB; JPEG and resampling cost the rest
WARP_TOL = 0.01  # HR JPG px; tform.txt keeps 6 decimals

# Per shot: (rotation in degrees, scale, shift (dx, dy) in its own pixels).
CASES = {
    'same_sense': {1: (0.0, 1.0, (0.3, -0.2)), HR: (3.0, 1.03, (30.0, 20.0)),
                   LR: (3.0, 1.0, (8.0, 5.0))},
    'opposite_sense': {1: (0.0, 1.0, (-0.4, 0.5)), HR: (4.0, 1.03, (-25.0, 15.0)),
                       LR: (-3.0, 1.0, (-6.0, 4.0))},
}


def _translate(x, y):
    return np.array([[1.0, 0.0, x], [0.0, 1.0, y], [0.0, 0.0, 1.0]])


def _similarity(degrees, scale):
    a = np.deg2rad(degrees)
    return np.array([[scale * np.cos(a), -scale * np.sin(a), 0.0],
                     [scale * np.sin(a), scale * np.cos(a), 0.0], [0.0, 0.0, 1.0]])


def _pixel_resize(src_shape, dst_shape):
    """dst pixel -> src pixel of cv2.resize(src, dst_shape) (pixel centres)."""
    (sh, sw), (dh, dw) = src_shape, dst_shape
    sx, sy = sw / dw, sh / dh
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


def shot_to_photo(photo_shape, k, degrees, scale, shift):
    """3x3 map from pixel q of shot k to the photo: ``centre + zoom_k * S R (q - c + shift)``,
    the view of :func:`mmzoom.raw.synthetic.render_view` turned and scaled about its centre."""
    h, w = SIZE
    ph, pw = photo_shape[:2]
    zoom = 0.9 * min(pw / w, ph / h) * FOCALS[-1] / FOCALS[k - 1]
    return (_translate((pw - 1) / 2, (ph - 1) / 2) @ _similarity(degrees, zoom * scale)
            @ _translate(shift[0] - (w - 1) / 2, shift[1] - (h - 1) / 2))


def render(photo, to_photo):
    """The shot: the photo resampled through ``to_photo`` (band-limited when it decimates)."""
    src = photo.astype(np.float32) / 255
    zoom = np.sqrt(abs(np.linalg.det(to_photo[:2, :2])))
    if zoom > 1:
        src = cv2.GaussianBlur(src, (0, 0), 0.5 * np.sqrt(zoom ** 2 - 1))
    out = cv2.warpAffine(src, to_photo[:2], SIZE[::-1],
                         flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REFLECT)
    return np.round(np.clip(out, 0, 1) * 255).astype(np.uint8)


def tform_frame_to_jpg(k):
    """Pixel of shot k's tform.txt frame (its JPG cut to the FOV of 00001, resized to the size of
    00001) -> pixel of its JPG (the convention of mmzoom.raw.metafiles)."""
    top, bottom, left, right = fov_crop_box(*SIZE, FOCALS[k - 1] / FOCALS[0])
    return _translate(left, top) @ _pixel_resize((bottom - top, right - left), SIZE)


@pytest.fixture(scope='module', params=sorted(CASES))
def rotated_tree(request, tmp_path_factory):
    """One sequence whose shots 1-3 are rendered through known similarity maps, with the exact
    tform.txt: ``A_k`` = reference pixel -> photo -> shot k pixel -> its tform frame."""
    root = tmp_path_factory.mktemp(f'rotated_{request.param}')
    photo = data.astronaut()
    make_demo_srraw(root, {'astronaut': photo}, train_sequences=1, test_sequences=0, size=SIZE,
                    focal_lengths=FOCALS, noise=0.0)
    seq = root / 'train' / '00001'
    maps = {k: shot_to_photo(photo.shape, k, *view) for k, view in CASES[request.param].items()}
    for k, to_photo in maps.items():
        write_jpeg(str(seq / f'{k:05d}.JPG'), render(photo, to_photo), FOCALS[k - 1])
    tforms = {k: np.linalg.inv(tform_frame_to_jpg(k)) @ np.linalg.inv(maps[k]) @ maps[1]
              for k in maps}
    write_tform(str(seq / 'tform.txt'), tforms)
    for k in (HR, LR):  # a real rotation and scale, not a translation
        lin = tforms[k][:2, :2]
        assert abs(np.degrees(np.arctan2(lin[1, 0], lin[0, 0]))) > 2.5
    return str(root), maps


def _dataset(root):
    return SRRawDataset(root, split='train', scale=SCALE, input_mode='rgb', pairs=[(HR, LR)],
                        pipeline=[dict(type='LoadSRRawJpg', key='img'),
                                  dict(type='LoadSRRawJpg', key='gt'),
                                  dict(type='SRRawFovAlign'),
                                  dict(type='MakeReference', interpolation='area')])


def _psnr(a, b):
    return 10 * np.log10(255.0 ** 2 / np.mean((np.asarray(a, np.float64) - b) ** 2))


def _warp_error(out, maps):
    """Largest distance (HR JPG px) over the target's corners between ``gt_warp`` and the true
    map: target pixel -> LR JPG pixel (the crop, s target px per LR px) -> photo -> HR JPG."""
    oy, ox = out['img_origin']
    h, w = out['gt'].shape[:2]
    target_to_lr = _translate(ox, oy) @ _pixel_resize((h // SCALE, w // SCALE), (h, w))
    truth = np.linalg.inv(maps[HR]) @ maps[LR] @ target_to_lr
    corners = np.array([[0, w - 1, 0, w - 1], [0, 0, h - 1, h - 1], [1, 1, 1, 1]], float)
    return np.abs((out['gt_warp'] - truth[:2]) @ corners).max()


def _aligned(ds, composition=None):
    """The pipeline's output; with ``composition`` (3x3, LR frame -> HR frame) the HR warp is
    replaced by ``composition @ A_LR`` so that the transform's ``A_HR @ inv(A_LR)`` is it."""
    info = ds.get_data_info(0)
    if composition is not None:
        a_lr = np.vstack([info['tforms']['lr'], [0.0, 0.0, 1.0]])
        info['tforms'] = dict(info['tforms'], hr=(composition @ a_lr)[:2].tolist())
    return ds.pipeline(info)


def _inside_fov(points, k, tol=1e-6):
    """Whether JPG points (2, n) of shot k lie within the pixel edges of its FOV crop (the part
    of the shot that tform.txt covers)."""
    top, bottom, left, right = fov_crop_box(*SIZE, FOCALS[k - 1] / FOCALS[0])
    x, y = points
    return bool(((x >= left - 0.5 - tol) & (x <= right - 0.5 + tol) & (y >= top - 0.5 - tol)
                 & (y <= bottom - 0.5 + tol)).all())


def test_rotated_scaled_pair_is_aligned(rotated_tree):
    root, maps = rotated_tree
    out = _aligned(_dataset(root))
    h, w = out['img'].shape[:2]
    assert h >= 40 and w >= 70 and h % 2 == 0 and w % 2 == 0
    assert out['gt'].shape == (SCALE * h, SCALE * w, 3)
    assert _psnr(out['img'], out['ref']) > PSNR_MIN
    assert _warp_error(out, maps) < WARP_TOL
    # The crop is inside both fields of view although the HR one is turned: the LR crop's pixel
    # edges in the LR JPG, and the target's pixel edges mapped into the HR JPG.
    oy, ox = out['img_origin']
    lr_edges = np.array([[ox - 0.5, ox + w - 0.5, ox - 0.5, ox + w - 0.5],
                         [oy - 0.5, oy - 0.5, oy + h - 0.5, oy + h - 0.5]])
    assert _inside_fov(lr_edges, LR)
    hr_edges = out['gt_warp'] @ np.array([[-0.5, SCALE * w - 0.5, -0.5, SCALE * w - 0.5],
                                          [-0.5, -0.5, SCALE * h - 0.5, SCALE * h - 0.5],
                                          [1.0, 1.0, 1.0, 1.0]])
    assert _inside_fov(hr_edges, HR)


def test_reverse_and_swapped_compositions_fail_the_same_checks(rotated_tree):
    """What the transform would give had it composed the warps in another order: visibly worse
    against the LR view and more than half an HR pixel off the true map."""
    root, maps = rotated_tree
    ds = _dataset(root)
    info = ds.get_data_info(0)
    a_hr, a_lr = (np.vstack([info['tforms'][k], [0.0, 0.0, 1.0]]) for k in ('hr', 'lr'))
    inv = np.linalg.inv
    right = _aligned(ds, a_hr @ inv(a_lr))
    reverse = _aligned(ds, inv(a_lr) @ a_hr)
    swapped = _aligned(ds, a_lr @ inv(a_hr))
    psnr = {name: _psnr(out['img'], out['ref'])
            for name, out in (('right', right), ('reverse', reverse), ('swapped', swapped))}
    assert psnr['right'] > PSNR_MIN
    assert psnr['reverse'] < PSNR_MIN - 2 and psnr['reverse'] < psnr['right'] - 5, psnr
    assert psnr['swapped'] < PSNR_MIN - 10, psnr
    assert _warp_error(right, maps) < WARP_TOL
    assert _warp_error(reverse, maps) > 0.5
    assert _warp_error(swapped, maps) > 3

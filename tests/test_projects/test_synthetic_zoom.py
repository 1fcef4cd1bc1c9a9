"""The synthetic optical-zoom benchmark (projects/synthetic_zoom, mmzoom.raw.make_synthetic_zoom):
its tree passes the SR-RAW tools and dataset, its RAW decodes with LibRaw like its ISP says, its
stages invert, its noise and its saved warps are what they claim."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from skimage import data

from conftest import load_tool_module, run_tool
from mmzoom.raw import read_raw, read_tform, read_wb, shot_paths
from mmzoom.raw.synthetic import (FLOW_FILE, ShotPose, global_tform, linear_to_srgb,
                                  load_synthetic_truth, make_synthetic_zoom, pixel_grid,
                                  process, random_rgb_to_camera, random_wb_gains,
                                  srgb_to_linear, truth_tform, unprocess)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'dataset_converters', 'srraw')
SIZE = (128, 192)
PHOTOS = {'astronaut': data.astronaut(), 'coffee': data.coffee()}


def load_tool(name: str):
    return load_tool_module(osp.join(TOOLS, f'{name}.py'), f'synthetic_zoom_tool_{name}')


def corner_error(a, b, size=SIZE):
    """Largest displacement of the frame corners between two warps, in reference pixels."""
    h, w = size
    pts = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
    return np.abs(np.asarray(a) @ pts - np.asarray(b) @ pts).max()


def truth_dir(root, key):
    return root / 'truth' / key.replace('/', '-')


def rgb(path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img[..., ::-1].astype(np.float64)


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    """1 train + 1 test sequence of the 7 default shots, with distortion and parallax, noisy,
    tform.txt from the ECC code of compute_tform.py."""
    root = tmp_path_factory.mktemp('synthetic_zoom')
    make_synthetic_zoom(root, PHOTOS, 1, 1, size=SIZE, distortion=0.03, parallax=4.0,
                        tform='ecc', seed=1)
    return root, load_synthetic_truth(root)


def test_tree_passes_check_dataset_and_holds_the_truth(tree, capsys):
    root, truth = tree
    assert load_tool('check_dataset').main(['--root', str(root)]) == 0, capsys.readouterr().out
    assert sorted(truth['sequences']) == ['test/00002', 'train/00001']
    for key, record in truth['sequences'].items():
        seq, tdir = root / key, truth_dir(root, key)
        assert sorted(shot_paths(seq, 'dng')) == sorted(shot_paths(seq, 'JPG')) == \
            list(range(1, 8))
        # wb.txt is what compute_wb.py measures; the as-shot gains are kept in truth/.
        for path, gains in ((seq / 'wb.txt', record['measured_wb_gains']),
                            (tdir / 'wb.txt', record['wb_gains'])):
            written = read_wb(path)
            assert sorted(written) == list(range(1, 8))
            np.testing.assert_allclose([written[k] for k in range(1, 8)],
                                       [gains[k] for k in range(1, 8)], atol=1e-6)
        true_tform = read_tform(tdir / 'tform.txt')
        for k in range(1, 8):
            np.testing.assert_allclose(true_tform.get(k), record['tforms'][k], atol=1e-6)
            assert rgb(tdir / f'{k:05d}.png').shape == rgb(tdir / f'{k:05d}_linear.png').shape \
                == SIZE + (3, )
        flows = np.load(tdir / FLOW_FILE)
        assert sorted(flows) == sorted(f'{d}_{k:05d}' for d in ('shot_to_ideal', 'ideal_to_shot')
                                       for k in range(1, 8))


def test_srraw_dataset_reads_the_tree_with_the_sdan_demo_pipeline(tree):
    from mmagic.registry import DATASETS
    root, _ = tree
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c16b2-raw_1xb2-200i_demo.py'))
    built = {}
    for loader in ('train_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        dataset.data_root = str(root)
        for step in dataset.pipeline:
            if step.type == 'PairedRawCrop':
                step.gt_patch_size = 64  # the demo's 128 exceeds a 128 px frame's FOV crops
        built[loader] = DATASETS.build(dataset)
    train, test = built['train_dataloader'], built['test_dataloader']
    assert len(train) == 3 and len(test) == 1  # SDAN's (k, k + 4), k = 1..3; test (2, 6)
    sample = train[0]
    assert sample['inputs'].shape == (1, 16, 16)
    assert sample['data_samples'].gt_img.shape == (3, 64, 64)
    full = test[0]
    h, w = full['inputs'].shape[1:]
    assert full['data_samples'].gt_img.shape == (3, 4 * h, 4 * w)
    assert float(full['inputs'].std()) > 1  # a real picture, not a flat frame


SDAN_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'sdan', '*.py')))


@pytest.mark.parametrize('config', SDAN_CONFIGS, ids=osp.basename)
def test_every_sdan_config_reads_the_tree(tree, config):
    """Each SDAN config's datasets (RAW and RGB, 4x and 8x, every Table 2 row) index the tree
    and run their pipelines on it, patches shrunk to the 128 px frames."""
    from mmagic.registry import DATASETS
    root, _ = tree
    cfg = Config.fromfile(config)
    scale = 8 if '_x8' in osp.basename(config) else 4
    for loader in ('train_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        dataset.data_root = str(root)
        dataset.pop('prepared_root', None)
        for step in dataset.pipeline:
            if step.type == 'PairedRawCrop':
                step.gt_patch_size = 8 * scale
        built = DATASETS.build(dataset)
        assert len(built) >= 1
        sample = built[0]
        h, w = sample['inputs'].shape[1:]
        assert sample['data_samples'].gt_img.shape[1:] == (scale * h, scale * w)
        assert float(sample['data_samples'].gt_img.std()) > 1


@pytest.fixture(scope='module')
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic_zoom_clean')
    make_synthetic_zoom(root, {'coffee': data.coffee()}, 1, 0, size=SIZE,
                        focal_lengths=(100.0, 50.0), noise=False, tform='truth', seed=2)
    return root, load_synthetic_truth(root)['sequences']['train/00001']


def test_libraw_render_is_the_forward_isp_of_the_dng(clean):
    """LibRaw's linear render (camera white balance, the DNG's ColorMatrix1, half size so no
    demosaicing) equals :func:`process` of the same CFA tiles with exposure 1: the DNG's
    ColorMatrix1 and AsShotNeutral say what the generator's ISP does."""
    import rawpy
    root, record = clean
    path = root / 'train' / '00001' / '00001.dng'
    with rawpy.imread(str(path)) as raw:
        libraw = raw.postprocess(use_camera_wb=True, gamma=(1, 1), no_auto_bright=True,
                                 output_bps=16, half_size=True, user_flip=0,
                                 # else LibRaw takes the brightest pixel for white
                                 adjust_maximum_thr=0) / 65535.0
    mosaic = read_raw(path).mosaic.astype(np.float64)  # RGGB
    tiles = np.stack([mosaic[0::2, 0::2], (mosaic[0::2, 1::2] + mosaic[1::2, 0::2]) / 2,
                      mosaic[1::2, 1::2]], axis=-1)
    gains = np.array(record['wb_gains'][1])[[0, 1, 3]]
    ours = process(tiles, np.array(record['rgb_to_cam']), gains)
    err = np.abs(libraw - ours)
    # Measured: mean 1.6e-5, max 4.4e-5 (16-bit rounding); LibRaw's default white level (its
    # brightest pixel, adjust_maximum_thr) alone gave a mean of 0.03.
    print('LibRaw vs ISP: mean', err.mean(), 'max', err.max())
    assert err.mean() < 1e-4 and err.max() < 5e-4, (err.mean(), err.max())


def test_unprocess_then_process_round_trips():
    rng = np.random.default_rng(0)
    srgb = data.astronaut()[::4, ::4].astype(np.float64) / 255
    rgb_to_cam = random_rgb_to_camera(rng)
    np.testing.assert_allclose(rgb_to_cam.sum(axis=1), 1, atol=1e-12)
    gains, exposure = random_wb_gains(rng)
    assert 1.9 <= gains[0] <= 2.4 and 1.5 <= gains[2] <= 1.9 and 1 <= exposure <= 2
    linear = srgb_to_linear(srgb)
    camera = unprocess(linear, rgb_to_cam, gains, exposure)
    back = process(camera, rgb_to_cam, gains, exposure)
    # Exact where neither the highlight-safe fade (grey > 0.9) nor a clip acted.
    plain = ((camera @ np.ones(3) / 3 < 0.9 / (gains.max() * exposure)) &
             (np.abs(camera * gains * exposure).max(axis=-1) < 1))
    assert plain.mean() > 0.8
    np.testing.assert_allclose(back[plain], linear[plain], atol=1e-9)
    np.testing.assert_allclose(linear_to_srgb(back)[plain], srgb[plain], atol=1e-6)
    # Highlight-safe: a clipped white stays white through unprocessing and processing.
    white = unprocess(np.ones((1, 1, 3)), rgb_to_cam, gains, exposure)
    np.testing.assert_allclose(white, 1, atol=1e-12)
    np.testing.assert_allclose(process(white, rgb_to_cam, gains, exposure), 1, atol=1e-12)


def test_noise_has_the_drawn_variance(tmp_path):
    """Flat dark and bright halves: on each the RAW variance is shot * x + read."""
    photo = np.full((400, 600, 3), 200, np.uint8)
    photo[:, :300] = 40
    make_synthetic_zoom(tmp_path, {'flat': photo}, 1, 0, size=SIZE, focal_lengths=(50.0, ),
                        max_translation=0, max_rotation=0, max_scale=0, tform='none', seed=5)
    shot, read = load_synthetic_truth(tmp_path)['sequences']['train/00001']['noise_levels']
    raw = read_raw(tmp_path / 'train' / '00001' / '00001.dng')
    quantisation = 1 / 12 / (raw.white - raw.black[0]) ** 2
    ratios = []
    for cols in (slice(8, 80), slice(112, 184)):  # away from the edge between the halves
        for dy, dx in ((0, 0), (0, 1), (1, 1)):
            patch = raw.mosaic[8 + dy:120:2, cols][:, dx::2].astype(np.float64)
            expected = shot * patch.mean() + read + quantisation
            ratios.append(patch.var() / expected)
    # ~1100 samples a patch: the variance estimate itself has a relative spread of ~4 %.
    print('noise variance / (shot x + read):', np.round(ratios, 3), 'shot', shot, 'read', read)
    assert np.abs(np.array(ratios) - 1).max() < 0.15, ratios


def test_global_tform_generalises_truth_tform():
    """For pure translations the general warp is the demo generator's."""
    shifts = {1: (0.7, -1.2), 2: (-0.4, 0.9)}
    maps = {k: ShotPose(translation=s).global_map(SIZE) for k, s in shifts.items()}
    np.testing.assert_allclose(global_tform(SIZE, 0.5, maps[1], maps[2]),
                               truth_tform(SIZE, 0.5, shifts[1], shifts[2]), atol=1e-12)


def test_ecc_of_compute_tform_recovers_the_global_warp(tmp_path):
    """Translation up to 8 px, rotation up to 0.5 deg, scale up to 1 %: the tform.txt the ECC
    code of compute_tform.py writes matches the true one (5 shots, 128x192)."""
    make_synthetic_zoom(tmp_path, PHOTOS, 1, 0, size=SIZE,
                        focal_lengths=(240.0, 200.0, 160.0, 120.0, 60.0), tform='ecc', seed=0)
    record = load_synthetic_truth(tmp_path)['sequences']['train/00001']
    found = read_tform(tmp_path / 'train' / '00001' / 'tform.txt')
    ratios = {k: f / 240.0 for k, f in record['focal_lengths'].items()}
    errors = {k: corner_error(found.get(k), t) for k, t in record['tforms'].items()}
    shake = {k: corner_error(np.eye(2, 3), t) for k, t in record['tforms'].items()}
    print('ECC corner error, reference px:', {k: round(e, 3) for k, e in errors.items()},
          'shake:', {k: round(e, 2) for k, e in shake.items()})
    # In reference pixels; shot k's own pixels are f_k / f_1 of them. Measured: 0.09-0.13 for
    # shots 2-4 and 0.61 (0.15 of its own pixels) for shot 5, against shakes of 5-11 px.
    assert max(shake.values()) > 3
    assert max(errors.values()) < 1.0 and max(e * ratios[k] for k, e in errors.items()) < 0.25, \
        (errors, shake)


def test_dense_flow_maps_the_ideal_view_onto_the_shot(tree):
    root, truth = tree
    key = 'train/00001'
    flows = np.load(truth_dir(root, key) / FLOW_FILE)
    grid = pixel_grid(SIZE)
    inner = (slice(10, -10), slice(10, -10))
    for k in (1, 4, 7):
        ideal = rgb(truth_dir(root, key) / f'{k:05d}.png').astype(np.float32)
        shot = rgb(root / key / f'{k:05d}.JPG')
        fwd, back = flows[f'shot_to_ideal_{k:05d}'], flows[f'ideal_to_shot_{k:05d}']

        def err(points):
            pts = points.astype(np.float32)
            warped = cv2.remap(ideal, pts[..., 0], pts[..., 1], cv2.INTER_CUBIC)
            return np.abs(warped - shot)[inner].mean()

        pose = ShotPose(**truth['sequences'][key]['poses'][k])
        glob = grid @ pose.global_map(SIZE)[:2, :2].T + pose.global_map(SIZE)[:2, 2]
        e_flow, e_global, e_none = err(grid + fwd), err(glob), err(grid)
        e_moved = err(grid + fwd + np.array([0.5, 0.0]))
        print('flow check', k, e_flow, e_moved, e_global, e_none)
        # Measured (8-bit levels; JPEG q95 and resampling a sharp view are left): shots 1, 4, 7
        # flow 0.84, 1.71, 2.30; moved half a pixel 1.5-2.5 times as large; global warp only
        # 4.0-5.9; no warp 5.8-15.5.
        assert e_flow < 3.0 and e_flow < 0.5 * min(e_global, e_none) and e_flow < 0.8 * e_moved, \
            (k, e_flow, e_moved, e_global, e_none)
        # ideal_to_shot inverts shot_to_ideal: p + b(p) + f(p + b(p)) = p.
        pts = (grid + back).astype(np.float32)
        f_at = cv2.remap(fwd, pts[..., 0], pts[..., 1], cv2.INTER_LINEAR)
        print('inverse residual', np.abs(back + f_at)[inner].max())
        assert np.abs(back + f_at)[inner].max() < 0.02


@pytest.mark.slow
def test_cli_writes_a_tree_and_reports_bad_input_in_one_line(tmp_path):
    tool = 'projects/synthetic_zoom/tools/make_synthetic_zoom.py'
    bad = run_tool([tool, '--out', str(tmp_path / 'x'), '--photos', str(tmp_path / 'no.png')],
                   check=False)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        f'error: cannot read image {tmp_path / "no.png"} (no such file)']
    bad = run_tool([tool, '--out', str(tmp_path / 'x'), '--max-rotation', '-1'], check=False)
    assert bad.returncode == 1 and 'max_rotation must be a non-negative' in bad.stderr
    ok = run_tool([tool, '--out', str(tmp_path / 'x'), '--sequences', '1', '--test-sequences',
                   '0', '--size', '64', '96', '--focal-lengths', '100', '50', '--true-tform'])
    assert '1 sequences of 2 shots written' in ok.stdout
    assert (tmp_path / 'x' / 'train' / '00001' / 'tform.txt').is_file()

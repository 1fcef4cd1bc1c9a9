"""PSNR / SSIM / LPIPS under the SR-RAW protocol: white balance re-applied, borders cropped,
RGB or Y, and the protocol in every metric name (LPIPS on a random-backbone network, see
test_lpips.py)."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmzoom.evaluation  # noqa: F401  (registers the metrics)
from mmagic.evaluation.metrics.ssim import ssim
from mmagic.registry import METRICS
from mmzoom.evaluation import SRRawLPIPS, SRRawPSNR, SRRawSSIM

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GAINS = (2.0, 1.0, 1.0, 1.6)


def _pair(seed=0, size=(80, 96)):
    rng = np.random.default_rng(seed)
    gt = rng.uniform(20, 120, (3, ) + size)
    pred = np.clip(gt + rng.normal(0, 6, gt.shape), 0, 255)
    return torch.tensor(gt, dtype=torch.float32), torch.tensor(pred, dtype=torch.float32)


def _sample(gt, pred, gains=GAINS):
    sample = dict(gt_img=gt, output=dict(pred_img=pred))
    if gains is not None:
        sample['wb_gains'] = gains
    return sample


def _protocol(img, gains, border, y=False):
    """The protocol written out with numpy: wb re-applied and clipped, border, (Y)."""
    x = img.numpy().transpose(1, 2, 0).astype(np.float64)
    if gains is not None:
        g = np.array([gains[0], gains[1], gains[3]])
        x = np.clip(x * g**(1 / 2.2), 0, 255)
    x = x[border:-border, border:-border] if border else x
    if y:
        x = (16 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255)[..., None]
    return x


def _run(metric, samples):
    metric.results.clear()
    metric.process([], samples)
    metric.size = len(samples)  # what MMagic's evaluator sets in metric.prepare()
    return metric.evaluate()


@pytest.mark.parametrize('space,reapply,border', [('rgb', True, 32), ('y', True, 32),
                                                  ('rgb', False, 8), ('y', False, 0)])
def test_psnr_follows_the_protocol_and_says_so(space, reapply, border):
    metric = SRRawPSNR(crop_border=border, colour_space=space, reapply_wb=reapply)
    wb = 'wb' if reapply else 'nowb'
    assert metric.metric == f'PSNR_{space}_{wb}_b{border}'
    pairs = [_pair(0), _pair(1)]
    out = _run(metric, [_sample(*p) for p in pairs])
    expected = []
    for gt, pred in pairs:
        a, b = (_protocol(x, GAINS if reapply else None, border, space == 'y') for x in (gt, pred))
        expected.append(20 * np.log10(255 / np.sqrt(np.mean((a - b)**2))))
    assert out == {f'SRRAW/PSNR_{space}_{wb}_b{border}': pytest.approx(np.mean(expected),
                                                                     abs=1e-3)}


def test_reapplying_the_white_balance_changes_the_number():
    gt, pred = _pair(2)
    with_wb = _run(SRRawPSNR(), [_sample(gt, pred)])['SRRAW/PSNR_rgb_wb_b32']
    without = _run(SRRawPSNR(reapply_wb=False), [_sample(gt, pred)])['SRRAW/PSNR_rgb_nowb_b32']
    assert with_wb < without  # gains > 1 amplify the error


def test_bgr_input_gives_the_same_numbers():
    gt, pred = _pair(3)
    rgb = _run(SRRawPSNR(colour_space='y'), [_sample(gt, pred)])
    bgr = _run(SRRawPSNR(colour_space='y', channel_order='BGR'),
               [_sample(gt.flip(0), pred.flip(0))])
    assert rgb == pytest.approx(bgr)


def test_ssim_is_mmagics_ssim_on_the_protocol_images():
    gt, pred = _pair(4)
    out = _run(SRRawSSIM(prefix='SRRAW-test'), [_sample(gt, pred)])
    a, b = _protocol(gt, GAINS, 32), _protocol(pred, GAINS, 32)
    assert out == {'SRRAW-test/SSIM_rgb_wb_b32': pytest.approx(ssim(a, b, input_order='HWC'),
                                                               abs=1e-6)}
    assert _run(SRRawSSIM(colour_space='y'), [_sample(gt, gt)])['SRRAW/SSIM_y_wb_b32'] == \
        pytest.approx(1.0)
    # The Y of the protocol is MMagic's (mmcv) BT.601 luma.
    y = mmcv.rgb2ycbcr(_protocol(gt, GAINS, 32).astype(np.float32) / 255, y_only=True) * 255
    np.testing.assert_allclose(_protocol(gt, GAINS, 32, y=True)[..., 0], y, atol=1e-3)


def test_lpips_under_the_protocol():
    torch.manual_seed(0)
    metric = SRRawLPIPS(pnet_rand=True, crop_border=16)
    assert metric.metric == 'LPIPS_random_backbone_rgb_wb_b16'
    gt, pred = _pair(5)
    assert _run(metric, [_sample(gt, gt.clone())]) == {
        'SRRAW/LPIPS_random_backbone_rgb_wb_b16': pytest.approx(0.0, abs=1e-7)}
    value = _run(metric, [_sample(gt, pred)])['SRRAW/LPIPS_random_backbone_rgb_wb_b16']
    assert value == pytest.approx(metric.distance(_protocol(gt, GAINS, 16),
                                                  _protocol(pred, GAINS, 16)), rel=1e-5)
    with pytest.raises(ValueError, match='RGB images only'):
        SRRawLPIPS(pnet_rand=True, colour_space='y')


def test_errors_say_what_to_fix():
    gt, pred = _pair(6)
    with pytest.raises(KeyError, match='PackInputs'):
        SRRawPSNR().process([], [_sample(gt, pred, gains=None)])
    with pytest.raises(ValueError, match='nothing left after cropping 32 px'):
        SRRawPSNR().process([], [_sample(gt[:, :60], pred[:, :60])])
    with pytest.raises(ValueError, match='differ in size'):
        SRRawPSNR().process([], [_sample(gt, pred[:, :, :90])])
    with pytest.raises(ValueError, match='colour_space'):
        SRRawSSIM(colour_space='lab')


@pytest.mark.parametrize('name', ['srraw_x4_raw', 'srraw_x8_rgb'])
def test_config_evaluators_build_and_name_their_protocol(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets', f'{name}.py'))
    names = []
    for spec in cfg.val_evaluator.metrics + cfg.test_evaluator.metrics:
        if spec.type == 'SRRawLPIPS':
            spec = dict(spec, pnet_rand=True)  # no AlexNet weights here
        metric = METRICS.build(spec)
        assert metric.channel_order == 'RGB' and metric.crop_border == 32 and metric.reapply_wb
        names.append(f'{metric.prefix}/{metric.metric}')
    assert names == [
        'SRRAW-val-centre1024/PSNR_rgb_wb_b32', 'SRRAW-val-centre1024/SSIM_rgb_wb_b32',
        'SRRAW-test/PSNR_rgb_wb_b32', 'SRRAW-test/SSIM_rgb_wb_b32',
        'SRRAW-test/LPIPS_random_backbone_rgb_wb_b32', 'SRRAW-test/PSNR_y_wb_b32',
        'SRRAW-test/SSIM_y_wb_b32', 'SRRAW-test/PSNR_rgb_wb_b32_aligned',
        'SRRAW-test/SSIM_rgb_wb_b32_aligned', 'SRRAW-test/LPIPS_random_backbone_rgb_wb_b32_aligned',
        'SRRAW-test/PSNR_rgb_wb_b32_centre', 'SRRAW-test/SSIM_rgb_wb_b32_centre',
        'SRRAW-test/PSNR_rgb_wb_b32_corner', 'SRRAW-test/SSIM_rgb_wb_b32_corner']


def _metric_value(metric, gt, pred):
    metric.process([], [_sample(gt, pred)])
    return metric.compute_metrics(metric.results)[metric.metric]


def test_aligned_metrics_forgive_a_shift_and_a_colour_change_plain_ones_do_not():
    from skimage import data
    photo = torch.from_numpy(data.astronaut()[100:356, 100:356].copy()).permute(2, 0, 1)
    gt = photo.float()
    # a prediction equal to the target moved by (3, -2) px, with another exposure and colour
    shifted = torch.roll(gt, shifts=(3, -2), dims=(1, 2))
    pred = (shifted * torch.tensor([1.08, 0.97, 1.04])[:, None, None] + 6).clamp(0, 255)
    plain = _metric_value(SRRawPSNR(crop_border=16), gt, pred)
    aligned_metric = SRRawPSNR(crop_border=16, align_gt=True)
    assert aligned_metric.metric == 'PSNR_rgb_wb_b16_aligned'
    aligned = _metric_value(aligned_metric, gt, pred)
    assert plain < 24 and aligned > 33, (plain, aligned)
    ssim_plain = _metric_value(SRRawSSIM(crop_border=16), gt, pred)
    ssim_aligned = _metric_value(SRRawSSIM(crop_border=16, align_gt=True), gt, pred)
    assert ssim_aligned > 0.9 > ssim_plain + 0.2, (ssim_plain, ssim_aligned)
    # a prediction with other content is not rescued by the alignment
    other = torch.from_numpy(data.coffee()[:256, :256].copy()).permute(2, 0, 1).float()
    assert _metric_value(SRRawPSNR(crop_border=16, align_gt=True), gt, other) < 22


def test_public_sdan_protocol_reproduces_its_formula():
    # The public test script: WB re-applied to the target only, the prediction saved as 8 bits,
    # 32 px then scale + 8 more cropped (44 at 4x), PSNR on 0..255.
    rng = np.random.default_rng(0)
    gt = torch.from_numpy(rng.uniform(0, 200, (3, 120, 130)).astype(np.float32))
    pred = (gt + torch.from_numpy(rng.normal(0, 6, (3, 120, 130)).astype(np.float32)))
    metric = SRRawPSNR(crop_border=44, public_sdan=True)
    assert metric.metric == 'PSNR_rgb_wb_b44_public'
    value = _metric_value(metric, gt, pred)
    g = np.array([GAINS[0], GAINS[1], GAINS[3]])
    target = np.clip(gt.numpy().transpose(1, 2, 0).astype(np.float64) * g ** (1 / 2.2), 0, 255)
    saved = np.rint(np.clip(pred.numpy().transpose(1, 2, 0).astype(np.float64), 0, 255))
    c = 44
    mse = np.mean((target[c:-c, c:-c] - saved[c:-c, c:-c]) ** 2)
    assert value == pytest.approx(10 * np.log10(255 ** 2 / mse), abs=1e-3)
    # ...which is not the mmzoom protocol (WB on both, no rounding)
    assert abs(_metric_value(SRRawPSNR(crop_border=44), gt, pred) - value) > 0.5


def test_centre_and_corner_split_measures_where_the_error_is():
    # Clean centre, noisy corners (and edges): the split tells them apart, the whole lies between.
    rng = np.random.default_rng(0)
    gt = torch.from_numpy(rng.uniform(20, 200, (3, 136, 168)).astype(np.float32))
    noise = rng.normal(0, 12, (3, 136, 168)).astype(np.float32)
    inner = np.zeros((136, 168), bool)
    inner[8 + 30:136 - 8 - 30, 8 + 38:168 - 8 - 38] = True  # the central half after an 8 px crop
    noise[:, inner] = rng.normal(0, 1, (3, int(inner.sum())))
    pred = gt + torch.from_numpy(noise)
    centre, corner = (SRRawPSNR(crop_border=8, reapply_wb=False, region=r)
                      for r in ('centre', 'corner'))
    assert (centre.metric, corner.metric) == ('PSNR_rgb_nowb_b8_centre', 'PSNR_rgb_nowb_b8_corner')
    whole = _metric_value(SRRawPSNR(crop_border=8, reapply_wb=False), gt, pred)
    c, k = _metric_value(centre, gt, pred), _metric_value(corner, gt, pred)
    assert c == pytest.approx(20 * np.log10(255 / 1.0), abs=0.3)
    assert k == pytest.approx(20 * np.log10(255 / 12.0), abs=0.3)
    assert k < whole < c
    # Corners: the mean of the four corner blocks' values, each computed on its own.
    x = _protocol(gt, None, 8)
    y = _protocol(pred, None, 8)
    blocks = [(slice(t, t + 30), slice(l, l + 38)) for t in (0, 90) for l in (0, 114)]
    expected = np.mean([10 * np.log10(255 ** 2 / np.mean((x[b] - y[b]) ** 2)) for b in blocks])
    assert k == pytest.approx(expected, abs=1e-3)
    assert 'corner blocks' in corner.protocol_description()
    with pytest.raises(ValueError, match='no corner'):
        _metric_value(SRRawPSNR(crop_border=0, region='corner', centre_fraction=0.99), gt, pred)
    with pytest.raises(ValueError, match='region'):
        SRRawPSNR(region='edges')
    with pytest.raises(ValueError, match='centre_fraction'):
        SRRawSSIM(region='centre', centre_fraction=1.5)

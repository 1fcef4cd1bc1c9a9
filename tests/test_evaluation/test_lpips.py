"""The LPIPS metric: the real ``lpips`` code path (AlexNet, v0.1, inputs on [-1, 1]).

The AlexNet ImageNet weights cannot be downloaded here, so the numbers are checked on an LPIPS
network built by the same code with ``pnet_rand=True``: the AlexNet backbone has random weights,
the linear calibration layers are the real v0.1 weights shipped with ``lpips``. Such a network
is not LPIPS (its values are meaningless as perceptual distances), but every step the metric
adds (border crop, channel order, value mapping, averaging) is exercised against a direct
``lpips.LPIPS.forward`` call. With the weights missing, the metric must name the file and
folder."""
import os.path as osp

import numpy as np
import pytest
import torch

import mmzoom.evaluation  # noqa: F401  (registers the metrics)
from mmagic.registry import METRICS
from mmzoom.evaluation import LPIPS, backbone_weights_file


def test_missing_backbone_weights_name_the_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    folder = osp.join(str(tmp_path), 'hub', 'checkpoints')
    assert backbone_weights_file('alex') == osp.join(folder, 'alexnet-owt-7be5be79.pth')
    with pytest.raises(FileNotFoundError) as err:
        METRICS.build(dict(type='LPIPS'))
    msg = str(err.value)
    assert 'alexnet-owt-7be5be79.pth' in msg and folder in msg and 'TORCH_HOME' in msg


@pytest.fixture(scope='module')
def metric():
    torch.manual_seed(0)
    return LPIPS(pnet_rand=True, channel_order='RGB')


def _images(seed=0, shape=(3, 48, 64)):
    gen = torch.Generator().manual_seed(seed)
    gt = torch.rand(shape, generator=gen) * 255
    noisy = (gt + 40 * torch.randn(shape, generator=gen)).clamp(0, 255)
    return gt, noisy


def _direct(net, gt_hwc_rgb, pred_hwc_rgb):
    def to(x):
        return torch.from_numpy(np.ascontiguousarray(x, np.float32)).permute(2, 0, 1)[None]
    with torch.no_grad():
        return float(net(to(gt_hwc_rgb) / 127.5 - 1, to(pred_hwc_rgb) / 127.5 - 1))


def test_identical_images_score_zero_and_different_ones_more(metric):
    gt, noisy = _images()
    assert metric.metric == 'LPIPS_random_backbone'  # no one mistakes it for LPIPS
    assert metric.process_image(gt, gt.clone(), None) == pytest.approx(0.0, abs=1e-7)
    assert metric.process_image(gt, noisy, None) > 0


def test_matches_a_direct_lpips_call(metric):
    gt, noisy = _images(1)
    hwc = (gt.permute(1, 2, 0).numpy(), noisy.permute(1, 2, 0).numpy())
    assert metric.process_image(gt, noisy, None) == pytest.approx(_direct(metric.net, *hwc),
                                                                  rel=1e-5)
    # MMagic's default: BGR images, borders cropped.
    bgr = LPIPS(pnet_rand=True, crop_border=6)
    bgr.net = metric.net
    cropped = [x[6:-6, 6:-6] for x in hwc]
    assert bgr.process_image(gt.flip(0), noisy.flip(0), None) == pytest.approx(
        _direct(metric.net, *cropped), rel=1e-5)


def test_process_and_compute_average_over_samples(metric):
    metric.results.clear()
    pairs = [_images(s) for s in (2, 3)]
    samples = [dict(gt_img=gt, output=dict(pred_img=pred)) for gt, pred in pairs]
    metric.process([], samples)
    expected = np.mean([metric.process_image(gt, pred, None) for gt, pred in pairs])
    assert metric.compute_metrics(metric.results)['LPIPS_random_backbone'] == \
        pytest.approx(expected)


def test_argument_checks():
    with pytest.raises(ValueError, match='channel_order'):
        LPIPS(pnet_rand=True, channel_order='YUV')
    with pytest.raises(ValueError, match='net must be one of'):
        backbone_weights_file('resnet')

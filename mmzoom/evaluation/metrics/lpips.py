"""LPIPS (Zhang et al., CVPR 2018) as an MMagic metric, computed by the ``lpips`` package."""
import warnings
from typing import Optional

import numpy as np
import torch

from mmagic.evaluation.metrics.base_sample_wise_metric import BaseSampleWiseMetric
from mmagic.registry import METRICS
from mmzoom.utils.checkpoint import (PretrainedWeightsMissing, require_torchvision_weights,
                                     torchvision_weights_file)

_CHANNEL_ORDERS = ('RGB', 'BGR')


class LPIPSWeightsMissing(PretrainedWeightsMissing):
    """The backbone weights of LPIPS are not in torchvision's cache (the message names the file,
    the folder and the way to evaluate without LPIPS)."""


def _backbone_weights(net: str):
    from torchvision import models

    weights = {'alex': models.AlexNet_Weights.IMAGENET1K_V1,
               'vgg': models.VGG16_Weights.IMAGENET1K_V1,
               'squeeze': models.SqueezeNet1_1_Weights.IMAGENET1K_V1}
    if net not in weights:
        raise ValueError(f'LPIPS net must be one of {sorted(weights)}, got {net!r}')
    return weights[net]


def backbone_weights_file(net: str = 'alex') -> str:
    """Where torchvision looks for the ImageNet weights of an LPIPS backbone:
    ``$TORCH_HOME/hub/checkpoints/<file>`` (e.g. ``alexnet-owt-7be5be79.pth``)."""
    return torchvision_weights_file(_backbone_weights(net))


def build_lpips_net(net: str = 'alex', version: str = '0.1',
                    pnet_rand: bool = False) -> torch.nn.Module:
    """The ``lpips.LPIPS`` network in eval mode, without gradients.

    The linear calibration layers ship with the ``lpips`` package; the backbone's ImageNet
    weights come from torchvision's download cache. Nothing can be downloaded at run time here,
    so a missing file raises FileNotFoundError naming it and the folder it belongs in.

    Args:
        net: backbone, ``'alex'`` (the LPIPS of SR papers), ``'vgg'`` or ``'squeeze'``.
        version: LPIPS linear-layer version. Default ``'0.1'``.
        pnet_rand: random backbone weights, no file needed. Only for tests and smoke runs: the
            numbers are not LPIPS.
    """
    import lpips

    if not pnet_rand:
        require_torchvision_weights(_backbone_weights(net), f'LPIPS ({net}, v{version})',
                                    'tools/test.py --no-lpips evaluates without LPIPS.',
                                    error=LPIPSWeightsMissing)
    with warnings.catch_warnings():
        # lpips calls torchvision with the deprecated pretrained= argument.
        warnings.simplefilter('ignore', UserWarning)
        model = lpips.LPIPS(pretrained=True, net=net, version=version, pnet_rand=pnet_rand,
                            verbose=False)
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def to_lpips_input(img: np.ndarray) -> torch.Tensor:
    """(H, W, 3) RGB image on 0..255 -> (1, 3, H, W) float32 tensor on [-1, 1] (LPIPS' range)."""
    tensor = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32))
    return (tensor.permute(2, 0, 1)[None] / 127.5 - 1.0).contiguous()


@METRICS.register_module()
class LPIPS(BaseSampleWiseMetric):
    """Learned Perceptual Image Patch Similarity (Zhang et al., CVPR 2018): lower is closer.

    The SR-RAW / SDAN tables report LPIPS with AlexNet, version 0.1, inputs on [-1, 1] (SDAN
    Table 1). Images arrive as MMagic's metrics receive them: (C, H, W) (or (H, W, C)) on
    0..255 in ``channel_order``; borders are cropped, channels put in RGB, values mapped to
    [-1, 1], and the ``lpips`` package computes the distance, averaged over images.

    Metrics:
        - ``LPIPS`` (float); ``LPIPS_random_backbone`` with ``pnet_rand=True``.

    Args:
        gt_key (str): key of the ground truth. Default: ``'gt_img'``.
        pred_key (str): key of the prediction. Default: ``'pred_img'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Default: ``'cpu'``.
        prefix (str, optional): metric name prefix. Default: None.
        crop_border (int): pixels removed at each edge. Default: 0.
        input_order (str): ``'CHW'`` or ``'HWC'``. Default: ``'CHW'``.
        channel_order (str): ``'BGR'`` (default: what MMagic's data preprocessor hands its
            metrics) or ``'RGB'`` (the SR-RAW pipeline of mmzoom).
        net (str): backbone. Default: ``'alex'``.
        version (str): LPIPS version. Default: ``'0.1'``.
        pnet_rand (bool): random backbone (tests only, see :func:`build_lpips_net`).
            Default: False.
        device (str): device of the LPIPS network. Default: ``'cpu'``.
    """

    metric = 'LPIPS'

    def __init__(self, gt_key: str = 'gt_img', pred_key: str = 'pred_img',
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 crop_border: int = 0, input_order: str = 'CHW', channel_order: str = 'BGR',
                 net: str = 'alex', version: str = '0.1', pnet_rand: bool = False,
                 device: str = 'cpu') -> None:
        super().__init__(gt_key=gt_key, pred_key=pred_key, mask_key=None,
                         collect_device=collect_device, prefix=prefix)
        if channel_order.upper() not in _CHANNEL_ORDERS:
            raise ValueError(f'channel_order must be one of {_CHANNEL_ORDERS}, got '
                             f'{channel_order!r}')
        if input_order not in ('CHW', 'HWC'):
            raise ValueError(f"input_order must be 'CHW' or 'HWC', got {input_order!r}")
        if crop_border < 0:
            raise ValueError(f'crop_border must be >= 0, got {crop_border}')
        self.channel_order = channel_order.upper()
        self.input_order = input_order
        self.crop_border = int(crop_border)
        self.net_name, self.version, self.pnet_rand = net, version, pnet_rand
        self.lpips_device = device
        self.net = build_lpips_net(net, version, pnet_rand).to(device)
        if pnet_rand:
            self.metric = 'LPIPS_random_backbone'

    def _to_rgb_hwc(self, img) -> np.ndarray:
        img = img.detach().cpu().numpy() if isinstance(img, torch.Tensor) else np.asarray(img)
        if img.ndim != 3:
            raise ValueError(f'{self.metric} expects one image per sample, got shape {img.shape}')
        if self.input_order == 'CHW':
            img = img.transpose(1, 2, 0)
        if img.shape[2] != 3:
            raise ValueError(f'{self.metric} needs 3-channel images, got shape {img.shape}')
        if self.crop_border:
            c = self.crop_border
            img = img[c:-c, c:-c]
        return img[..., ::-1] if self.channel_order == 'BGR' else img

    def distance(self, gt_rgb: np.ndarray, pred_rgb: np.ndarray) -> float:
        """LPIPS between two (H, W, 3) RGB images on 0..255 (no further cropping)."""
        if gt_rgb.shape != pred_rgb.shape:
            raise ValueError(f'{self.metric}: image shapes differ: gt {gt_rgb.shape}, '
                             f'prediction {pred_rgb.shape}')
        if min(gt_rgb.shape[:2]) < 1:
            raise ValueError(f'{self.metric}: nothing left after cropping {self.crop_border} px')
        with torch.no_grad():
            value = self.net(to_lpips_input(gt_rgb).to(self.lpips_device),
                             to_lpips_input(pred_rgb).to(self.lpips_device))
        return float(value.mean())

    def process_image(self, gt, pred, mask) -> float:
        return self.distance(self._to_rgb_hwc(gt), self._to_rgb_hwc(pred))

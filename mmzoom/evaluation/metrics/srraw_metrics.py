"""The SR-RAW evaluation protocol (SDAN Table 1) around MMagic's PSNR/SSIM and mmzoom's LPIPS.

SDAN's Table 1 reports PSNR / SSIM / LPIPS on the SR-RAW test pairs, but its public scripts
disagree on the protocol (32 px borders cropped in all; PSNR/SSIM on BT.601 Y in one, on RGB in
another; the test code re-applies the white balance to the target only). mmzoom therefore makes
the protocol explicit and puts it in every metric name:

1. re-apply the HR shot's white balance (``wb.txt`` gains of the sample's ``wb_gains``
   metainfo) to prediction and target, ``Y[c] *= g[c] ** (1/2.2)``, and clip to 0..255
   (the image a user would save), when ``reapply_wb`` (default);
2. crop ``crop_border`` pixels at each edge (default 32, as the public scripts);
3. measure on ``'rgb'`` (default) or BT.601 ``'y'`` (PSNR/SSIM only; MMagic's conversion).

With ``align_gt`` the target is first warped onto the prediction by a dense optical flow and
colour-mapped to it (:mod:`.gt_alignment`), and the measure keeps the pixels the warp fills: the
"aligned" metrics later work on misaligned pairs reports beside the plain ones.

With ``region='centre'`` only the central ``centre_fraction`` of each side of the measured
image counts (a quarter of the area by default); with ``region='corner'`` the mean over its four
corner blocks, the rows and columns outside the centre's ((1 - fraction) / 2 of each side, the
same area as the centre in all by default): the split SelfDZSR (ECCV 2022) reports, whose centre is where a
reference of twice the focal length overlaps the input, and whose corners hold most of the
lens falloff, distortion and residual misalignment. The name gets ``_centre`` / ``_corner``.

A metric named ``PSNR_rgb_wb_b32`` is PSNR on RGB after re-applying the white balance, with 32 px
borders cropped; ``nowb`` marks a run without step 1, a suffix ``_aligned`` the aligned target.
The protocol is also logged once per evaluation.
"""
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log

from mmagic.evaluation.metrics.base_sample_wise_metric import BaseSampleWiseMetric
from mmagic.evaluation.metrics.metrics_utils import img_transform, obtain_data
from mmagic.evaluation.metrics.psnr import psnr
from mmagic.evaluation.metrics.ssim import ssim
from mmagic.registry import METRICS
from mmzoom.raw.white_balance import WB_GAMMA, apply_white_balance
from .gt_alignment import align_target, measured_box
from .lpips import LPIPS

_SPACES = ('rgb', 'y')
_REGIONS = (None, 'centre', 'corner')


class SRRawProtocol:
    """Mixin: turns a (prediction, target) pair into the images the SR-RAW protocol measures.

    Used with a :class:`~mmagic.evaluation.metrics.base_sample_wise_metric.BaseSampleWiseMetric`
    subclass whose ``measure(gt, pred)`` takes two prepared (H, W, C) float arrays.
    """

    default_prefix = 'SRRAW'

    def _init_protocol(self, crop_border: int, colour_space: str, reapply_wb: bool,
                       channel_order: str, wb_key: str, wb_gamma: float,
                       align_gt: bool = False, public_sdan: bool = False,
                       region: Optional[str] = None, centre_fraction: float = 0.5) -> None:
        if region not in _REGIONS:
            raise ValueError(f'region must be one of {_REGIONS}, got {region!r}')
        if not 0 < centre_fraction < 1:
            raise ValueError(f'centre_fraction must be in (0, 1), got {centre_fraction}')
        if colour_space not in _SPACES:
            raise ValueError(f'colour_space must be one of {_SPACES}, got {colour_space!r}')
        if channel_order.upper() not in ('RGB', 'BGR'):
            raise ValueError(f"channel_order must be 'RGB' or 'BGR', got {channel_order!r}")
        if crop_border < 0:
            raise ValueError(f'crop_border must be >= 0, got {crop_border}')
        self.crop_border = int(crop_border)
        self.colour_space = colour_space
        self.reapply_wb = reapply_wb
        self.channel_order = channel_order.upper()
        self.wb_key = wb_key
        self.wb_gamma = wb_gamma
        self.align_gt = align_gt
        self.public_sdan = public_sdan
        self.region = region
        self.centre_fraction = float(centre_fraction)

    @property
    def protocol_tag(self) -> str:
        """``<space>_<wb|nowb>_b<border>``, the suffix of the metric name."""
        tag = f'{self.colour_space}_{"wb" if self.reapply_wb else "nowb"}_b{self.crop_border}'
        return (tag + ('_aligned' if self.align_gt else '')
                + ('_public' if self.public_sdan else '')
                + (f'_{self.region}' if self.region else ''))

    def protocol_description(self) -> str:
        wb = (f'HR white balance re-applied (x g^(1/{self.wb_gamma}), clipped to 0..255)'
              if self.reapply_wb else 'white balance not re-applied')
        space = 'RGB' if self.colour_space == 'rgb' else 'Y (BT.601)'
        aligned = (', target warped onto the prediction (DIS flow) and colour-mapped, unfilled '
                   'rim left out' if self.align_gt else '')
        if self.public_sdan:
            wb = ('as the public SDAN test script: HR white balance re-applied to the target only, '
                  'prediction rounded to 8 bits')
        region = ''
        if self.region:
            part = ('only' if self.region == 'centre' else
                    'left out, mean of the four corner blocks outside its rows and columns')
            region = f', central {self.centre_fraction:g} of each side {part}'
        return (f'{wb}, {self.crop_border} px borders cropped{aligned}, measured on {space}'
                f'{region}')

    def region_blocks(self, shape) -> list:
        """``[(top, bottom, left, right), ...]`` of the measured image ``shape`` that
        ``region`` keeps: the whole image, its centre, or its four corner blocks."""
        h, w = shape[:2]
        if self.region is None:
            return [(0, h, 0, w)]
        ch, cw = max(1, round(h * self.centre_fraction)), max(1, round(w * self.centre_fraction))
        top, left = (h - ch) // 2, (w - cw) // 2
        if self.region == 'centre':
            return [(top, top + ch, left, left + cw)]
        if min(top, left) < 1:
            raise ValueError(f'{self.metric}: a {h}x{w} measured image leaves no corner outside '
                             f'its central {self.centre_fraction:g}')
        return [(t, t + top, l, l + left) for t in (0, h - top) for l in (0, w - left)]

    def to_linear(self, img, gains: Optional[Sequence[float]],
                  is_prediction: bool = False) -> np.ndarray:
        """(C, H, W) tensor/array in ``channel_order`` on 0..255 -> (H, W, 3) float32 RGB with
        the white balance re-applied (step 1; with ``public_sdan``, to the target only, and the
        prediction rounded to the 8-bit image that script saves)."""
        img = img.detach().cpu().numpy() if isinstance(img, torch.Tensor) else np.asarray(img)
        if img.ndim != 3 or img.shape[0] != 3:
            raise ValueError(f'{self.metric} expects (3, H, W) images, got shape {img.shape}')
        img = img.transpose(1, 2, 0).astype(np.float32)
        if self.channel_order == 'BGR':
            img = img[..., ::-1]
        if self.public_sdan and is_prediction:
            return np.rint(np.clip(img, 0, 255))
        if self.reapply_wb:
            img = np.clip(apply_white_balance(img, gains, self.wb_gamma), 0, 255)
        return img

    def to_measured(self, img: np.ndarray, box=None) -> np.ndarray:
        """Steps 2-3 on a :meth:`to_linear` image: borders (and, aligned, the unfilled rim,
        ``box`` in the cropped image) cut, colour space applied."""
        if min(img.shape[:2]) <= 2 * self.crop_border:
            raise ValueError(f'{self.metric}: a {img.shape[0]}x{img.shape[1]} image has nothing '
                             f'left after cropping {self.crop_border} px borders')
        out = img_transform(img, crop_border=self.crop_border, input_order='HWC',
                            convert_to='Y' if self.colour_space == 'y' else None,
                            channel_order='rgb')
        if box is not None:
            top, bottom, left, right = box
            out = out[top:bottom, left:right]
        return out

    def to_protocol(self, img, gains: Optional[Sequence[float]]) -> np.ndarray:
        """(C, H, W) tensor/array in ``channel_order`` on 0..255 -> (h, w, C') float32 array in
        the protocol's colour space, borders cropped."""
        return self.to_measured(self.to_linear(img, gains))

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        """Measure every (prediction, target) pair of a batch under the protocol."""
        for data in data_samples:
            gt = obtain_data(data, self.gt_key, 'cpu')
            pred = obtain_data(data['output'], self.pred_key, 'cpu')
            gains = data.get(self.wb_key)
            if gains is None and 'metainfo' in data:
                gains = data['metainfo'].get(self.wb_key)
            if self.reapply_wb and gains is None:
                raise KeyError(f'{self.metric}: the sample has no {self.wb_key!r}; add it to '
                               "PackInputs(meta_keys=[...]) (SRRawDataset provides it) or set "
                               'reapply_wb=False')
            if isinstance(gains, torch.Tensor):
                gains = gains.tolist()
            gt_l, pred_l = self.to_linear(gt, gains), self.to_linear(pred, gains, True)
            box = None
            if self.align_gt and gt_l.shape == pred_l.shape:
                gt_l, valid = align_target(pred_l, gt_l)
                c = self.crop_border
                box = measured_box(valid[c:valid.shape[0] - c, c:valid.shape[1] - c])
            gt_p, pred_p = self.to_measured(gt_l, box), self.to_measured(pred_l, box)
            if gt_p.shape != pred_p.shape:
                raise ValueError(f'{self.metric}: prediction {tuple(pred.shape)} and target '
                                 f'{tuple(gt.shape)} differ in size ({data.get("gt_path")})')
            values = [self.measure(gt_p[t:b, l:r], pred_p[t:b, l:r])
                      for t, b, l, r in self.region_blocks(gt_p.shape)]
            self.results.append({self.metric: float(np.mean(values))})

    def compute_metrics(self, results: list) -> dict:
        print_log(f'{self.metric}: {self.protocol_description()}', logger='current')
        return super().compute_metrics(results)


_PROTOCOL_ARGS = """
    Args:
        gt_key (str): key of the target. Default: ``'gt_img'``.
        pred_key (str): key of the prediction. Default: ``'pred_img'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Default: ``'cpu'``.
        prefix (str, optional): name prefix, e.g. ``'SRRAW-test'``. Default: None, which
            means ``'SRRAW'``.
        crop_border (int): border cropped at each edge, target pixels. Default: 32.
        colour_space (str): ``'rgb'`` (default) or ``'y'`` (BT.601 luma).
        reapply_wb (bool): re-apply the HR white balance first. Default: True.
        channel_order (str): order of the images handed to the metric. Default: ``'RGB'``
            (the SR-RAW pipeline keeps RGB throughout; ``'BGR'`` for MMagic's usual flow).
        wb_key (str): sample metainfo key of the gains. Default: ``'wb_gains'``.
        wb_gamma (float): gamma of the white-balance re-application. Default: 2.2.
        align_gt (bool): warp and colour-map the target onto the prediction first
            (:mod:`mmzoom.evaluation.metrics.gt_alignment`); the name gets ``_aligned``.
            Default: False.
        public_sdan (bool): the public SDAN test script's protocol, to compare with the paper:
            white balance re-applied to the target only, the prediction rounded to 8 bits;
            its border is 32 px then ``scale + 8`` more (``crop_border=44`` at 4x). The name
            gets ``_public``. Default: False.
        region (str, optional): ``'centre'`` or ``'corner'``: measure the central
            ``centre_fraction`` of each side, or the mean of the four corner blocks outside the
            centre's rows and columns (SelfDZSR's split); the name gets ``_centre`` /
            ``_corner``. Default: None (all).
        centre_fraction (float): side fraction of the centre. Default: 0.5 (the centre and
            the four corners are a quarter of the area each).
"""


class _SRRawSampleWiseMetric(SRRawProtocol, BaseSampleWiseMetric):
    """A per-image MMagic metric measured under the SR-RAW protocol; subclasses set ``metric``
    (the name stem) and ``measure``."""

    def __init__(self, gt_key: str = 'gt_img', pred_key: str = 'pred_img',
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 crop_border: int = 32, colour_space: str = 'rgb', reapply_wb: bool = True,
                 channel_order: str = 'RGB', wb_key: str = 'wb_gains',
                 wb_gamma: float = WB_GAMMA, align_gt: bool = False,
                 public_sdan: bool = False, region: Optional[str] = None,
                 centre_fraction: float = 0.5) -> None:
        super().__init__(gt_key=gt_key, pred_key=pred_key, collect_device=collect_device,
                         prefix=prefix)
        self._init_protocol(crop_border, colour_space, reapply_wb, channel_order, wb_key,
                            wb_gamma, align_gt, public_sdan, region, centre_fraction)
        self.metric = f'{type(self).metric}_{self.protocol_tag}'


@METRICS.register_module()
class SRRawPSNR(_SRRawSampleWiseMetric):
    __doc__ = """PSNR (0..255 peak) under the SR-RAW protocol (module docstring; SDAN Table 1).

    Computed by MMagic's ``psnr`` on the prepared images. Metric name
    ``PSNR_<space>_<wb|nowb>_b<border>``, e.g. ``PSNR_rgb_wb_b32``.
    """ + _PROTOCOL_ARGS

    metric = 'PSNR'

    def measure(self, gt: np.ndarray, pred: np.ndarray) -> float:
        return float(psnr(gt, pred, crop_border=0, input_order='HWC'))


@METRICS.register_module()
class SRRawSSIM(_SRRawSampleWiseMetric):
    __doc__ = """SSIM under the SR-RAW protocol (module docstring; SDAN Table 1).

    Computed by MMagic's ``ssim`` (Wang et al. 2004, Gaussian window, mean over channels) on the
    prepared images. Metric name ``SSIM_<space>_<wb|nowb>_b<border>``.
    """ + _PROTOCOL_ARGS

    metric = 'SSIM'

    def measure(self, gt: np.ndarray, pred: np.ndarray) -> float:
        return float(ssim(gt, pred, crop_border=0, input_order='HWC'))


@METRICS.register_module()
class SRRawLPIPS(SRRawProtocol, LPIPS):
    __doc__ = """LPIPS (AlexNet, v0.1, inputs on [-1, 1]) under the SR-RAW protocol (module
    docstring; SDAN Table 1). RGB only (LPIPS is defined on colour images). Metric name
    ``LPIPS_rgb_<wb|nowb>_b<border>`` (``LPIPS_random_backbone_...`` with ``pnet_rand``).
    """ + _PROTOCOL_ARGS + """        net (str): LPIPS backbone. Default: ``'alex'``.
        version (str): LPIPS version. Default: ``'0.1'``.
        pnet_rand (bool): random backbone, for tests only. Default: False.
        device (str): device of the LPIPS network. Default: ``'cpu'``.
"""

    metric = 'LPIPS'

    def __init__(self, gt_key: str = 'gt_img', pred_key: str = 'pred_img',
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 crop_border: int = 32, colour_space: str = 'rgb', reapply_wb: bool = True,
                 channel_order: str = 'RGB', wb_key: str = 'wb_gains',
                 wb_gamma: float = WB_GAMMA, net: str = 'alex', version: str = '0.1',
                 pnet_rand: bool = False, device: str = 'cpu', align_gt: bool = False,
                 public_sdan: bool = False, region: Optional[str] = None,
                 centre_fraction: float = 0.5) -> None:
        if colour_space != 'rgb':
            raise ValueError("SRRawLPIPS measures RGB images only: use colour_space='rgb'")
        super().__init__(gt_key=gt_key, pred_key=pred_key, collect_device=collect_device,
                         prefix=prefix, channel_order=channel_order, net=net, version=version,
                         pnet_rand=pnet_rand, device=device)
        self._init_protocol(crop_border, colour_space, reapply_wb, channel_order, wb_key,
                            wb_gamma, align_gt, public_sdan, region, centre_fraction)
        self.metric = f'{self.metric}_{self.protocol_tag}'

    def measure(self, gt: np.ndarray, pred: np.ndarray) -> float:
        return self.distance(gt, pred)

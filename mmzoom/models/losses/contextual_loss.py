"""Contextual (CX) and contextual bilateral (CoBi) losses, as zoom-learn-zoom (Zhang et al., CVPR
2019, Eq. 3 of SDAN) uses them on SR-RAW: losses that compare an image with a misaligned target
by matching each target feature to its most similar predicted feature, wherever it is.

For features ``x_i`` of the prediction and ``y_j`` of the target (Mechrez et al., ECCV 2018):

1. centre both on the target's mean feature and L2-normalise them;
2. ``d_ij = (1 - cos(x_i, y_j)) / 2``, relative ``d~_ij = d_ij / (min_k d_ik + eps)``;
3. ``w_ij = exp((1 - d~_ij) / h)``, ``CX_ij = w_ij / sum_k w_ik``;
4. ``CX = mean_j max_i CX_ij``; the loss is ``-log(CX)``.

CoBi adds a spatial term: the same steps on the squared distance of the two positions (in units
of the image side) give ``CX^sp_ij``, mixed as ``(1 - w_s) CX_ij + w_s CX^sp_ij`` before step 4,
so that a match nearby is preferred to an equally similar one far away.

Features: VGG19 (``conv1_2``, ``conv2_2``, ``conv3_2`` after ReLU, weights 1, 1, 0.5, max
pooling replaced by average pooling, as zoom-learn-zoom) or raw RGB patches (``features='rgb'``,
``patch_size`` n: each position's n x n neighbourhood). The distance matrix of every position
pair of a 512 px conv1_2 map would need 2.6e11 entries: like zoom-learn-zoom, each call samples
``num_positions`` (63 x 63) positions per layer, the same ones in prediction and target, and
compares those. mmzoom's VGG19 is torchvision's (its ImageNet normalisation on 0..1 inputs),
where zoom-learn-zoom loads MatConvNet's (mean-subtracted 0..255 inputs): the same network
trained elsewhere.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmagic.registry import MODELS
from mmzoom.utils.checkpoint import PretrainedWeightsMissing, require_torchvision_weights

#: torchvision ``vgg19().features`` index of each layer's ReLU output.
VGG19_LAYERS = {'conv1_1': 1, 'conv1_2': 3, 'conv2_1': 6, 'conv2_2': 8, 'conv3_1': 11,
                'conv3_2': 13, 'conv3_3': 15, 'conv3_4': 17, 'conv4_1': 20, 'conv4_2': 22}
DEFAULT_LAYERS = {'conv1_2': 1.0, 'conv2_2': 1.0, 'conv3_2': 0.5}


class VGGWeightsMissing(PretrainedWeightsMissing):
    """The contextual loss's VGG19 weights are not in torchvision's cache."""


def contextual_similarity(dist: Tensor, band_width: float, eps: float) -> Tensor:
    """Steps 2-3: ``CX_ij`` from a raw distance matrix (N, P_pred, P_target)."""
    relative = dist / (dist.min(dim=2, keepdim=True).values + eps)
    weights = torch.exp((1 - relative) / band_width)
    return weights / weights.sum(dim=2, keepdim=True)


def feature_distance(x: Tensor, y: Tensor) -> Tensor:
    """Step 1-2: ``(1 - cos) / 2`` of (N, C, P) features, centred on the target's mean."""
    mean = y.mean(dim=2, keepdim=True)
    x, y = F.normalize(x - mean, dim=1), F.normalize(y - mean, dim=1)
    return (1 - torch.bmm(x.transpose(1, 2), y)) / 2


def spatial_distance(pos: Tensor, size: Tuple[int, int]) -> Tensor:
    """Squared distance (P, P) between sampled positions ``pos`` (P, 2: row, col), in units of
    the larger image side."""
    p = pos.float() / max(size)
    return torch.cdist(p, p).pow(2)


def contextual_loss(x: Tensor, y: Tensor, band_width: float = 0.5, eps: float = 1e-3,
                    spatial: Optional[Tensor] = None, spatial_weight: float = 0.0) -> Tensor:
    """``-log CX`` per sample (N,) of (N, C, P) features at the same P positions; with
    ``spatial`` (P, P), the CoBi mix."""
    cx = contextual_similarity(feature_distance(x, y), band_width, eps)
    if spatial is not None and spatial_weight > 0:
        cx_sp = contextual_similarity(spatial.expand(x.shape[0], -1, -1), band_width, eps)
        cx = (1 - spatial_weight) * cx + spatial_weight * cx_sp
    return -torch.log(cx.max(dim=1).values.mean(dim=1) + 1e-12)


class VGG19Features(nn.Module):
    """torchvision's VGG19 up to the deepest requested layer, max pooling replaced by average
    pooling (zoom-learn-zoom), frozen, on 0..1 RGB inputs (ImageNet normalisation inside).

    Args:
        layers (list[str]): names from :data:`VGG19_LAYERS`.
        pretrained (bool): load torchvision's ImageNet weights from its cache (never
            downloaded: :class:`VGGWeightsMissing` names the file); False builds random weights,
            for tests and smoke runs only.
    """

    def __init__(self, layers: List[str], pretrained: bool = True) -> None:
        super().__init__()
        from torchvision.models import VGG19_Weights, vgg19

        unknown = [name for name in layers if name not in VGG19_LAYERS]
        if unknown:
            raise ValueError(f'unknown VGG19 layers {unknown}; choose from {list(VGG19_LAYERS)}')
        net = vgg19()
        if pretrained:
            path = require_torchvision_weights(
                VGG19_Weights.IMAGENET1K_V1, 'The contextual loss (VGG19 features)',
                "for a smoke run without them set pretrained=False (random VGG19, whose loss "
                'is not CX).', error=VGGWeightsMissing)
            net.load_state_dict(torch.load(path, map_location='cpu', weights_only=True))
        last = max(VGG19_LAYERS[name] for name in layers)
        body = [nn.AvgPool2d(2, 2) if isinstance(m, nn.MaxPool2d) else m
                for m in list(net.features)[:last + 1]]
        for m in body:
            if isinstance(m, nn.ReLU):
                m.inplace = False
        self.body = nn.Sequential(*body)
        self.taps = {VGG19_LAYERS[name]: name for name in layers}
        self.register_buffer('mean', torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1),
                             persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> 'VGG19Features':
        return super().train(False)  # frozen: never in training mode

    def forward(self, img: Tensor) -> Dict[str, Tensor]:
        out, x = {}, (img - self.mean) / self.std
        for i, layer in enumerate(self.body):
            x = layer(x)
            if i in self.taps:
                out[self.taps[i]] = x
        return out


def sample_positions(size: Tuple[int, int], num: int, device,
                     generator: Optional[torch.Generator] = None) -> Tensor:
    """(P, 2) (row, col) of ``min(num, H*W)`` distinct positions of an (H, W) grid, random."""
    h, w = size
    if num >= h * w:
        index = torch.arange(h * w, device=device)
    else:
        index = torch.randperm(h * w, generator=generator)[:num].to(device)
    return torch.stack([index // w, index % w], dim=1)


def gather(features: Tensor, pos: Tensor) -> Tensor:
    """(N, C, H, W) features at (P, 2) positions -> (N, C, P)."""
    return features[:, :, pos[:, 0], pos[:, 1]]


def gather_patches(img: Tensor, pos: Tensor, n: int) -> Tensor:
    """(N, C, H, W) image, (P, 2) top-left corners -> (N, C*n*n, P) n x n patches."""
    d = torch.arange(n, device=img.device)
    rows = (pos[:, 0, None, None] + d[None, :, None]).expand(-1, n, n)
    cols = (pos[:, 1, None, None] + d[None, None, :]).expand(-1, n, n)
    patches = img[:, :, rows, cols]  # (N, C, P, n, n)
    return patches.permute(0, 1, 3, 4, 2).reshape(img.shape[0], -1, pos.shape[0])


def _without_vgg(module: nn.Module, state_dict: dict, prefix: str, local_metadata) -> None:
    for key in [k for k in state_dict if k.startswith(prefix + 'vgg.')]:
        del state_dict[key]


def _keep_own_vgg(module: nn.Module, state_dict: dict, prefix: str, *args) -> None:
    for key, value in module.vgg.state_dict(prefix=prefix + 'vgg.').items():
        state_dict[key] = value


@MODELS.register_module()
class ContextualLoss(nn.Module):
    """Contextual loss (Mechrez et al. 2018) as zoom-learn-zoom computes it on SR-RAW; with
    ``spatial_weight > 0`` the contextual bilateral loss CoBi (SDAN Eq. 3, module docstring).

    Args:
        loss_weight (float): factor of the loss. Default: 1.0.
        features (str): ``'vgg19'`` (default) or ``'rgb'`` (n x n RGB patches).
        layer_weights (dict): VGG19 layer -> weight. Default: conv1_2 1, conv2_2 1, conv3_2 0.5.
        band_width (float): h. Default: 0.5.
        eps (float): of the relative distance. Default: 1e-3.
        num_positions (int): positions sampled per layer and call, the same in prediction
            and target. Default: 3969 (63 x 63).
        spatial_weight (float): w_s of the CoBi mix; 0 is CX. Default: 0.
        patch_size (int, optional): n of ``features='rgb'``. Default: None (10 if 'rgb').
        pretrained (bool): torchvision's ImageNet VGG19 (from its cache; a missing file is
            one line); False: random weights, for tests only, logged in the loss name.
            Default: True.

    Shapes:
        pred, target: (N, 3, H, W) RGB on 0..1 (MMagic's data preprocessor with std 255), the
        same size -> scalar, the mean over the batch.
    """

    def __init__(self, loss_weight: float = 1.0, features: str = 'vgg19',
                 layer_weights: Optional[Dict[str, float]] = None, band_width: float = 0.5,
                 eps: float = 1e-3, num_positions: int = 3969, spatial_weight: float = 0.0,
                 patch_size: Optional[int] = None, pretrained: bool = True) -> None:
        super().__init__()
        if features not in ('vgg19', 'rgb'):
            raise ValueError(f"features must be 'vgg19' or 'rgb', got {features!r}")
        if band_width <= 0 or eps <= 0 or num_positions < 1 or not 0 <= spatial_weight <= 1:
            raise ValueError(f'need band_width > 0, eps > 0, num_positions >= 1 and '
                             f'0 <= spatial_weight <= 1; got {band_width}, {eps}, '
                             f'{num_positions}, {spatial_weight}')
        self.loss_weight = loss_weight
        self.features = features
        self.band_width = band_width
        self.eps = eps
        self.num_positions = num_positions
        self.spatial_weight = spatial_weight
        if features == 'rgb':
            self.patch_size = 10 if patch_size is None else int(patch_size)
            if self.patch_size < 1:
                raise ValueError(f'patch_size must be >= 1, got {patch_size}')
            self.layer_weights = {'rgb': 1.0}
            self.vgg = None
        else:
            self.patch_size = None
            self.layer_weights = dict(DEFAULT_LAYERS if layer_weights is None else layer_weights)
            self.vgg = VGG19Features(list(self.layer_weights), pretrained)
            # The frozen VGG19 is torchvision's file, not part of the trained model: kept out of
            # checkpoints, and a checkpoint without it loads (one with it, too).
            self._register_state_dict_hook(_without_vgg)
            self.register_load_state_dict_pre_hook(_keep_own_vgg)
        kind = 'CoBi' if spatial_weight > 0 else 'CX'
        self.name = f'{kind}_{features}' + ('' if pretrained or features == 'rgb'
                                            else '_random_vgg')

    def layer_loss(self, x: Tensor, y: Tensor, patch: Optional[int] = None) -> Tensor:
        """The loss (N,) of one feature map pair (N, C, H, W), positions sampled."""
        h, w = x.shape[-2:]
        grid = (h - patch + 1, w - patch + 1) if patch else (h, w)
        if min(grid) < 1:
            raise ValueError(f'a {h}x{w} image is smaller than the {patch} px RGB patches')
        pos = sample_positions(grid, self.num_positions, x.device)
        if patch:
            fx, fy = gather_patches(x, pos, patch), gather_patches(y, pos, patch)
        else:
            fx, fy = gather(x, pos), gather(y, pos)
        spatial = spatial_distance(pos, grid) if self.spatial_weight > 0 else None
        return contextual_loss(fx, fy, self.band_width, self.eps, spatial, self.spatial_weight)

    def forward(self, pred: Tensor, target: Tensor, *args, **kwargs) -> Tensor:
        if pred.shape != target.shape or pred.dim() != 4 or pred.shape[1] != 3:
            raise ValueError(f'{self.name} compares two (N, 3, H, W) RGB images of one size, got '
                             f'{tuple(pred.shape)} and {tuple(target.shape)}')
        if self.vgg is None:
            loss = self.layer_loss(pred, target, self.patch_size)
        else:
            fp, ft = self.vgg(pred), self.vgg(target.detach())
            loss = sum(weight * self.layer_loss(fp[name], ft[name])
                       for name, weight in self.layer_weights.items())
        return self.loss_weight * loss.mean()

    def extra_repr(self) -> str:
        return (f'name={self.name}, layers={self.layer_weights}, h={self.band_width}, '
                f'positions={self.num_positions}, w_s={self.spatial_weight}')


@MODELS.register_module()
class CoBiLoss(ContextualLoss):
    """Contextual bilateral loss (zoom-learn-zoom, SDAN Eq. 3): :class:`ContextualLoss` with the
    spatial term, ``spatial_weight`` 0.1 by default (zoom-learn-zoom's default; 0.5 in its
    training history). ``features='rgb', patch_size=10`` is its RGB-patch variant at 4x (15 at
    8x); zoom-learn-zoom trained with 1 x CoBi_VGG + 5 x CoBi_RGB. Args and shapes as
    :class:`ContextualLoss`."""

    def __init__(self, spatial_weight: float = 0.1, **kwargs) -> None:
        super().__init__(spatial_weight=spatial_weight, **kwargs)


__all__ = ['ContextualLoss', 'CoBiLoss', 'VGGWeightsMissing', 'contextual_loss']

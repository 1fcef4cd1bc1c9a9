"""Masked pixel losses of SDAN (Mei et al., ICME 2021, Sec. 3.3, Eq. 6).

``L = |X' - Y'| * M' + |X~ - Y| * M``: pixels whose aligned window left the image (M = 0) carry no
loss. Each term is one loss module with its own border shave (the public code shaves 32 HR px and
8 LR px before the loss).
"""
from typing import Optional

import torch
from torch import Tensor, nn

from mmagic.registry import MODELS


class _MaskedPixelLoss(nn.Module):
    """Shared mechanics: border shave, mask broadcast, normalisation, weighting."""

    def __init__(self, loss_weight: float = 1.0, border: int = 0, normalize: str = 'all') -> None:
        super().__init__()
        if normalize not in ('all', 'mask'):
            raise ValueError(f"normalize must be 'all' or 'mask', got {normalize!r}")
        if border < 0:
            raise ValueError(f'border must be >= 0, got {border}')
        self.loss_weight = loss_weight
        self.border = border
        self.normalize = normalize

    def penalty(self, diff: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, pred: Tensor, target: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        """pred, target: (N, C, H, W); mask: (N, 1 or C, H, W) in [0, 1] or None -> scalar."""
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target {tuple(target.shape)} differ')
        b = self.border
        if b:
            if min(pred.shape[-2:]) <= 2 * b:
                raise ValueError(f'border {b} leaves nothing of a {tuple(pred.shape[-2:])} image')
            pred, target = pred[..., b:-b, b:-b], target[..., b:-b, b:-b]
            mask = mask[..., b:-b, b:-b] if mask is not None else None
        loss = self.penalty(pred - target)
        if mask is None:
            return self.loss_weight * loss.mean()
        mask = mask.expand_as(loss)
        loss = loss * mask
        if self.normalize == 'all':  # the public code: mean over every element, masked or not
            return self.loss_weight * loss.mean()
        return self.loss_weight * loss.sum() / mask.sum().clamp_min(1.0)


@MODELS.register_module()
class MaskedL1Loss(_MaskedPixelLoss):
    """L1 loss with a validity mask and border shave.

    Args:
        loss_weight (float): Multiplier of the loss. Default: 1.0.
        border (int): Pixels shaved from every side before the loss. Default: 0.
        normalize (str): ``'all'`` divides by every element (SDAN's public code), ``'mask'`` by
            the number of valid elements. Default: 'all'.

    Shapes:
        pred, target: (N, C, H, W); mask: (N, 1, H, W) or (N, C, H, W) -> scalar
    """

    def penalty(self, diff: Tensor) -> Tensor:
        return diff.abs()


@MODELS.register_module()
class MaskedCharbonnierLoss(_MaskedPixelLoss):
    """Charbonnier loss ``sqrt(d^2 + eps)`` with a validity mask and border shave.

    SDAN's public code uses eps = 1e-12 (a differentiable L1). Arguments as :class:`MaskedL1Loss`
    plus ``eps`` (float, default 1e-12).
    """

    def __init__(self, loss_weight: float = 1.0, border: int = 0, normalize: str = 'all',
                 eps: float = 1e-12) -> None:
        super().__init__(loss_weight, border, normalize)
        self.eps = eps

    def penalty(self, diff: Tensor) -> Tensor:
        return torch.sqrt(diff * diff + self.eps)

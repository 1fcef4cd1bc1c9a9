from .contextual_loss import CoBiLoss, ContextualLoss, VGGWeightsMissing
from .masked_losses import MaskedCharbonnierLoss, MaskedL1Loss

__all__ = ['MaskedL1Loss', 'MaskedCharbonnierLoss', 'ContextualLoss', 'CoBiLoss',
           'VGGWeightsMissing']

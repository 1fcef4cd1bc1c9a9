import pytest
import torch

from mmagic.registry import MODELS


def test_masked_l1_normalisations_and_border():
    pred, gt = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4] = 1  # left half valid
    all_ = MODELS.build(dict(type='MaskedL1Loss'))
    assert all_(pred, gt, mask).item() == pytest.approx(0.5)  # mean over every element
    per_mask = MODELS.build(dict(type='MaskedL1Loss', normalize='mask'))
    assert per_mask(pred, gt, mask).item() == pytest.approx(1.0)
    shaved = MODELS.build(dict(type='MaskedL1Loss', border=2, loss_weight=2.0))
    # after shaving 2 px: columns 2..5 remain, 2 of 4 valid
    assert shaved(pred, gt, mask).item() == pytest.approx(2.0 * 0.5)
    assert all_(pred, gt).item() == pytest.approx(1.0)


def test_charbonnier_is_smooth_l1_and_masks_gradients():
    loss = MODELS.build(dict(type='MaskedCharbonnierLoss', eps=1e-12))
    pred = torch.randn(2, 3, 6, 6, requires_grad=True)
    gt = torch.randn(2, 3, 6, 6)
    mask = (torch.rand(2, 1, 6, 6) > 0.5).float()
    value = loss(pred, gt, mask)
    ref = ((pred - gt).abs() * mask).mean()
    assert value.item() == pytest.approx(ref.item(), rel=1e-5)
    value.backward()
    assert (pred.grad * (1 - mask)).abs().max() == 0  # invalid pixels get no gradient


@pytest.mark.parametrize('kwargs, match', [(dict(normalize='sum'), 'normalize'),
                                           (dict(border=-1), 'border')])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(dict(type='MaskedL1Loss', **kwargs))


def test_shape_mismatch_and_too_large_border():
    loss = MODELS.build(dict(type='MaskedL1Loss', border=4))
    with pytest.raises(ValueError, match='differ'):
        loss(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))
    with pytest.raises(ValueError, match='border'):
        loss(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8))

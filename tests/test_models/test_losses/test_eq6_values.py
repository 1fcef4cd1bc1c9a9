"""The values of SDAN's training loss, Eq. (6): ``pixel_loss(X~, Y, M) + align_loss(X', Y', M')``.

Both terms are recomputed by hand in plain torch (border shave, mask weighting, normalisation,
Charbonnier eps) from the generator's outputs and compared with what ``SDAN.forward_train``
returns; MaskedCharbonnierLoss alone is checked on a 6x6 tensor with a number worked out by hand;
and X' is shown to be trained against Y' (``ref_img``, normalised), not against Y (``gt_img``).
"""
import pytest
import torch
import torch.nn.functional as F

from mmagic.registry import MODELS
from mmagic.structures import DataSample

SCALE = 4
LR_SIZE = 12
HR_BORDER, LR_BORDER = 8, 2  # the configs' 32 / 8 px, scaled down to a 12 x 12 input
STD = 255.0  # the configs' DataPreprocessor: mean 0, std 255


def build(normalize='all', eps=1e-12):
    generator = dict(type='SDANNet', in_channels=1, mid_channels=8, num_blocks=1,
                     upscale_factor=SCALE, pack_size=2, dcn_backend='fast')
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SDAN', generator=generator,
        pixel_loss=dict(type='MaskedCharbonnierLoss', border=HR_BORDER, normalize=normalize,
                        eps=eps),
        align_loss=dict(type='MaskedCharbonnierLoss', border=LR_BORDER, normalize=normalize,
                        eps=eps),
        data_preprocessor=dict(type='DataPreprocessor', mean=[0.], std=[STD],
                               data_keys=['gt_img', 'ref_img'])))
    # Push the offsets 3 px to the right (channels (dy, dx)): the aligned windows of the right
    # columns leave the image, so M' and M have zeros inside the shaved region too.
    with torch.no_grad():
        model.generator.align.offset_conv[-1].bias.copy_(torch.tensor([0.0, 3.0]))
    return model


def raw_batch(n=2, seed=1):
    """Pixel-scale (0..255) inputs X, ground truth Y and reference Y', independent of each other."""
    g = torch.Generator().manual_seed(seed)
    h = w = LR_SIZE
    inputs = torch.rand(n, 1, h, w, generator=g) * 255
    gt = torch.rand(n, 3, SCALE * h, SCALE * w, generator=g) * 255
    ref = torch.rand(n, 3, h, w, generator=g) * 255
    return inputs, gt, ref


def to_data(inputs, gt, ref):
    """What the dataloader hands the model (clones: the preprocessor rewrites the samples)."""
    samples = [DataSample(gt_img=g.clone(), ref_img=r.clone()) for g, r in zip(gt, ref)]
    return dict(inputs=[x.clone() for x in inputs], data_samples=samples)


def train_losses(model, inputs, gt, ref):
    data = model.data_preprocessor(to_data(inputs, gt, ref), training=True)
    with torch.no_grad():
        return model(**data, mode='loss')


def hand_term(pred, target, mask, border, eps, normalize):
    """One term of Eq. (6) written out: shave ``border`` px from every side, Charbonnier
    ``sqrt(d^2 + eps)`` per element, times the (N, 1, H, W) mask broadcast over the channels,
    summed, then divided by every element of the shaved tensor ('all') or by the valid ones
    ('mask': valid pixels times channels)."""
    n, c, h, w = pred.shape
    rows, cols = slice(border, h - border), slice(border, w - border)
    d = pred[:, :, rows, cols] - target[:, :, rows, cols]
    m = mask[:, :, rows, cols]
    assert m.shape == (n, 1, h - 2 * border, w - 2 * border)
    total = (torch.sqrt(d * d + eps) * m).sum()
    if normalize == 'all':
        count = n * c * (h - 2 * border) * (w - 2 * border)
    else:
        count = m.sum() * c
    return total / count


CASES = [('all', 1e-12), ('all', 1e-2), ('mask', 1e-2)]  # the configs' setting first


@pytest.mark.parametrize('normalize, eps', CASES)
def test_eq6_terms_match_a_hand_computation(normalize, eps):
    model = build(normalize, eps)
    inputs, gt, ref = raw_batch()
    losses = train_losses(model, inputs, gt, ref)
    assert set(losses) == {'loss_hr', 'loss_lr'}

    with torch.no_grad():
        out = model.generator(inputs / STD, ref / STD)
    # M is M' nearest-upsampled to the output grid; both have zeros inside the shaved region
    # (the mask weighting matters) and ones (something is left to weigh).
    assert torch.equal(out.mask_hr, out.mask_lr.repeat_interleave(SCALE, 2)
                       .repeat_interleave(SCALE, 3))
    for mask, b in ((out.mask_lr, LR_BORDER), (out.mask_hr, HR_BORDER)):
        inner = mask[..., b:-b, b:-b]
        assert 0.5 * inner.numel() < inner.sum() < inner.numel()

    loss_hr = hand_term(out.output, gt / STD, out.mask_hr, HR_BORDER, eps, normalize)
    loss_lr = hand_term(out.aligned_lr, ref / STD, out.mask_lr, LR_BORDER, eps, normalize)
    torch.testing.assert_close(losses['loss_hr'], loss_hr, rtol=1e-5, atol=0)
    torch.testing.assert_close(losses['loss_lr'], loss_lr, rtol=1e-5, atol=0)
    # Eq. (6) is the plain sum: the total the optimiser steps on has no other term or weight.
    total, _ = model.parse_losses(losses)
    torch.testing.assert_close(total, loss_hr + loss_lr, rtol=1e-5, atol=0)

    # The hand computation can tell the usual mistakes apart (each differs by > 1%).
    wrong = dict(
        other_normalisation=hand_term(out.aligned_lr, ref / STD, out.mask_lr, LR_BORDER, eps,
                                      'mask' if normalize == 'all' else 'all'),
        no_border=hand_term(out.aligned_lr, ref / STD, out.mask_lr, 0, eps, normalize),
        no_mask=hand_term(out.aligned_lr, ref / STD, torch.ones_like(out.mask_lr), LR_BORDER,
                          eps, normalize))
    for name, value in wrong.items():
        assert abs(value / loss_lr - 1) > 0.01, name


def test_masked_charbonnier_on_a_6x6_tensor_by_hand():
    """pred 0; target 3 in channel 0 and 0 in channel 1 inside, 100 on the 1 px border; eps 16,
    so the penalty is sqrt(9 + 16) = 5 (channel 0) and sqrt(0 + 16) = 4 (channel 1) inside.
    The mask keeps 4 interior pixels and 3 border pixels (which the border shave must drop)."""
    pred = torch.zeros(1, 2, 6, 6)
    target = torch.full((1, 2, 6, 6), 100.0)
    target[0, 0, 1:5, 1:5] = 3.0
    target[0, 1, 1:5, 1:5] = 0.0
    target[0, :, 3, 3] = 7.0  # interior but masked out: must not count
    mask = torch.zeros(1, 1, 6, 6)
    for y, x in ((1, 1), (1, 2), (2, 1), (4, 4)):  # the 4 kept interior pixels
        mask[0, 0, y, x] = 1.0
    for y, x in ((0, 0), (0, 3), (5, 2)):  # on the border
        mask[0, 0, y, x] = 1.0

    def loss(**kwargs):
        return MODELS.build(dict(type='MaskedCharbonnierLoss', eps=16.0, border=1,
                                 **kwargs))(pred, target, mask).item()

    # 4 pixels x (5 + 4) = 36 over the 4 x 2 valid elements, or over all 4 x 4 x 2 of the
    # shaved tensor.
    assert loss(normalize='mask') == pytest.approx(36 / 8, rel=1e-6)  # 4.5
    assert loss(normalize='all') == pytest.approx(36 / 32, rel=1e-6)  # 1.125
    assert loss(normalize='mask', loss_weight=2.0) == pytest.approx(9.0, rel=1e-6)
    # What the usual mistakes give instead, far from these: 'mask' dividing by the 4 pixels
    # (channels forgotten) 9; 'all' dividing by all 72 elements (border not shaved from the
    # count) 0.5; border not shaved: (36 + 3 * 2 * sqrt(10016)) / 14 = 45.5 ('mask') or
    # 636.5 / 72 = 8.8 ('all'); eps left out: (4 * 3 + 0) / 8 = 1.5 ('mask').
    # Without a mask: the mean over the shaved 4 x 4 x 2 elements (one interior pixel is 7).
    no_mask = MODELS.build(dict(type='MaskedCharbonnierLoss', eps=16.0, border=1))
    expected = (15 * 5 + 15 * 4 + 2 * (49 + 16) ** 0.5) / 32
    assert no_mask(pred, target).item() == pytest.approx(expected, rel=1e-6)


# -- X' is trained against Y' (ref_img), not against Y (gt_img) --------------------------------

def test_align_loss_ignores_the_ground_truth():
    """Changing Y changes loss_hr only; loss_lr is bit-identical."""
    model = build()
    inputs, gt, ref = raw_batch()
    before = train_losses(model, inputs, gt, ref)
    other_gt = torch.rand(gt.shape, generator=torch.Generator().manual_seed(7)) * 255
    after = train_losses(model, inputs, other_gt, ref)
    assert torch.equal(after['loss_lr'], before['loss_lr'])
    assert abs(after['loss_hr'] / before['loss_hr'] - 1) > 0.01


def test_align_loss_is_against_the_normalised_reference():
    """loss_lr is align_loss(X', ref_img / 255, M'): not X' against Y downsampled to the input
    grid, nor against ref_img on the pixel scale. A different ref_img changes it."""
    model = build()
    inputs, gt, ref = raw_batch()
    gt = 200 + gt * 55 / 255  # a bright Y and a dark Y': far apart on the input grid
    ref = ref * 55 / 255
    losses = train_losses(model, inputs, gt, ref)
    with torch.no_grad():
        out = model.generator(inputs / STD, ref / STD)

    def align(target):
        return hand_term(out.aligned_lr, target, out.mask_lr, LR_BORDER, 1e-12, 'all')

    torch.testing.assert_close(losses['loss_lr'], align(ref / STD), rtol=1e-5, atol=0)
    y_down = F.avg_pool2d(gt, SCALE) / STD  # Y on the input grid: the wrong target
    assert align(y_down) > 2 * losses['loss_lr']
    assert align(ref) > 10 * losses['loss_lr']  # un-normalised reference
    other_ref = torch.rand(ref.shape, generator=torch.Generator().manual_seed(8)) * 255
    changed = train_losses(model, inputs, gt, other_ref)
    assert abs(changed['loss_lr'] / losses['loss_lr'] - 1) > 0.01

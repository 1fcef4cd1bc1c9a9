import pytest
import torch

from mmagic.registry import MODELS
from mmzoom.models import SDANNet
from mmzoom.models.backbones.sdan_net import inside_mask

SMALL = dict(mid_channels=16, num_blocks=2, pack_size=4)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def inputs(n=2, h=12, w=16, in_channels=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, in_channels, h, w, generator=g), torch.rand(n, 3, h, w, generator=g)


def test_full_sdan_has_the_public_code_parameter_count():
    count = n_params(SDANNet())
    print(f'SDANNet() parameters: {count} ({count / 1e6:.3f}M)')
    assert abs(count - 1.67e6) / 1.67e6 < 0.05, count


@pytest.mark.parametrize('scale', [4, 8])
def test_output_shapes_and_end_to_end_gradients(scale):
    torch.manual_seed(0)
    net = MODELS.build(dict(type='SDANNet', upscale_factor=scale, **SMALL))
    x, ref = inputs(h=12, w=20)
    out = net(x, ref)
    assert out.output.shape == (2, 3, 12 * scale, 20 * scale)
    assert out.aligned_lr.shape == (2, 3, 12, 20)
    assert out.mask_lr.shape == (2, 1, 12, 20)
    assert out.mask_hr.shape == (2, 1, 12 * scale, 20 * scale)
    assert out.offset.shape == (2, 2, 12, 20)
    assert not out.mask_lr.requires_grad
    (out.output.abs().mean() + out.aligned_lr.abs().mean()).backward()
    missing = [name for name, p in net.named_parameters() if p.grad is None]
    assert not missing, missing


@pytest.mark.parametrize('kwargs, offset_channels, ref_in, attention_cls', [
    (dict(offset_type='per_point', attention='none', flip_ref=False), 18, 3, 'Identity'),  # DCN
    (dict(attention='none', flip_ref=False), 2, 3, 'Identity'),  # SDCN
    (dict(attention='cl', flip_ref=False), 2, 3, 'CrossPackingAttention'),  # + CL-Attention
    (dict(flip_ref=False), 2, 3, 'CrossPackingAttention'),  # + CP-Attention
    (dict(), 2, 12, 'CrossPackingAttention'),  # ++ Flip Augment
    (dict(cpa_mode='se'), 2, 12, 'CrossPackingAttention'),
])
def test_table2_rows(kwargs, offset_channels, ref_in, attention_cls):
    net = SDANNet(**{**SMALL, **kwargs})
    assert net.align.ref_conv[0].in_channels == ref_in
    assert type(net.align.offset_conv[1]).__name__ == attention_cls
    if kwargs.get('attention') == 'cl':
        assert net.align.offset_conv[1].pack_size == 1 and net.align.offset_conv[1].mode == 'se'
    x, ref = inputs()
    out = net(x, ref)
    assert out.offset.shape == (2, offset_channels, 12, 16)
    assert out.output.shape == (2, 3, 48, 64)


def test_rgb_input():
    x, ref = inputs(in_channels=3)
    assert SDANNet(in_channels=3, **SMALL)(x, ref).output.shape == (2, 3, 48, 64)


def test_fast_paths_match_mmcv_and_explicit_attention():
    torch.manual_seed(0)
    reference = SDANNet(dcn_backend='mmcv', attention_impl='explicit', **SMALL)
    fast = SDANNet(dcn_backend='fast', attention_impl='sdpa', **SMALL)
    fast.load_state_dict(reference.state_dict())
    for m in (reference, fast):  # make the attention active
        for attn in (m.align.offset_conv[1], m.align.offset_conv[4]):
            attn.gamma.data.fill_(0.3)
    x, ref = inputs(h=13, w=11)
    a, b = reference(x, ref), fast(x, ref)
    for name in ('output', 'aligned_lr', 'offset'):
        torch.testing.assert_close(getattr(b, name), getattr(a, name), rtol=1e-4, atol=1e-5)
    a.output.sum().backward()
    b.output.sum().backward()
    for (name, p), q in zip(reference.named_parameters(), fast.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-3, atol=1e-5, msg=name)


def test_masks_follow_a_known_offset():
    net = SDANNet(upscale_factor=4, **SMALL)
    last = net.align.offset_conv[-1]
    with torch.no_grad():  # a constant offset (dy, dx) = (2.5, -1.5)
        last.weight.zero_()
        last.bias.copy_(torch.tensor([2.5, -1.5]))
    x, ref = inputs(n=1, h=8, w=10)
    out = net(x, ref)
    expected = torch.zeros(1, 1, 8, 10)
    expected[..., :5, 2:] = 1  # y + 2.5 <= 7 and x - 1.5 >= 0
    torch.testing.assert_close(out.mask_lr, expected)
    upsampled = expected.repeat_interleave(4, dim=2).repeat_interleave(4, dim=3)
    torch.testing.assert_close(out.mask_hr, upsampled)


def test_inside_mask_edges():
    offset = torch.zeros(1, 2, 3, 4)
    assert inside_mask(offset).all()
    offset[0, 0, 2, 0] = 0.01  # last row pushed just past the last pixel centre
    offset[0, 1, 0, 0] = -0.01
    mask = inside_mask(offset)
    assert mask[0, 0, 2, 0] == 0 and mask[0, 0, 0, 0] == 0 and mask.sum() == 10


def test_per_point_mask_uses_the_centre_tap():
    net = SDANNet(offset_type='per_point', attention='none', **SMALL)
    last = net.align.offset_conv[-1]
    bias = torch.zeros(18)
    bias[8:10] = torch.tensor([-3.5, 0.0])  # centre tap moved up by 3.5 rows
    bias[0:2] = 50.0  # other taps far away must not matter
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(bias)
    x, ref = inputs(n=1, h=8, w=6)
    mask = net(x, ref).mask_lr
    assert mask[..., :4, :].sum() == 0 and mask[..., 4:, :].all()


@pytest.mark.parametrize('kwargs, match', [
    (dict(upscale_factor=2), 'upscale_factor'),
    (dict(attention='nonlocal'), 'attention'),
    (dict(offset_type='deformable'), 'offset_type'),
    (dict(offset_type='per_point', dcn_backend='fast'), 'backend'),
    (dict(cpa_mode='dot'), 'mode'),
    (dict(num_blocks=-1), 'num_blocks'),
])
def test_bad_arguments_are_rejected_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SDANNet(**{**SMALL, **kwargs})


def test_mismatched_inputs_are_rejected():
    net = SDANNet(**SMALL)
    x, ref = inputs(h=12, w=16)
    with pytest.raises(ValueError, match='spatial size'):
        net(x, ref[..., :8])
    with pytest.raises(ValueError, match=r'ref of shape \(N, 3, h, w\)'):
        net(x, ref[:, :1])
    with pytest.raises(ValueError, match=r'x of shape \(N, 1, h, w\)'):
        net(ref, ref)


def test_offset_init_zero_starts_from_zero_offsets_and_still_learns():
    torch.manual_seed(0)
    x, ref = torch.rand(1, 1, 16, 16), torch.rand(1, 3, 16, 16)
    kaiming = SDANNet(mid_channels=8, num_blocks=1, dcn_backend='fast')
    torch.manual_seed(0)
    zero = SDANNet(mid_channels=8, num_blocks=1, dcn_backend='fast', offset_init='zero')
    assert kaiming(x, ref).offset.abs().mean() > 0.1  # the public code's random start
    out = zero(x, ref)
    assert torch.equal(out.offset, torch.zeros_like(out.offset))
    out.output.mean().backward()
    # The last offset conv gets a gradient, so the offsets can move away from zero.
    assert zero.align.offset_conv[-1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="offset_init must be 'kaiming' or 'zero'"):
        SDANNet(offset_init='random')

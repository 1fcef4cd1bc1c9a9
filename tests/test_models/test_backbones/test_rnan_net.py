import pytest
import torch

from mmagic.registry import MODELS
from mmzoom.models import NeuronAttention, RNANNet
from mmzoom.models.backbones.rnan_net import IntervalFusion


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('scale', [2, 3, 4])
def test_output_shape_and_gradients(scale):
    net = MODELS.build(dict(type='RNANNet', mid_channels=16, num_groups=3, num_blocks=2,
                            group_concat_interval=2, block_concat_interval=1,
                            upscale_factor=scale))
    x = torch.rand(2, 3, 7, 9)
    y = net(x)
    assert y.shape == (2, 3, 7 * scale, 9 * scale)
    y.mean().backward()
    assert all(p.grad is not None for p in net.parameters())


@pytest.mark.parametrize('scale, expected', [(2, 17.12e6), (3, 17.31e6), (4, 17.27e6)])
def test_default_parameter_count_matches_the_paper(scale, expected):
    count = n_params(RNANNet(upscale_factor=scale))
    assert abs(count - expected) / expected < 0.002, count
    assert abs(count - 17.30e6) / 17.30e6 < 0.02


def test_interval_fusion_takes_every_nth_ending_at_the_last():
    assert IntervalFusion(4, 10, 2).indices == [1, 3, 5, 7, 9]
    assert IntervalFusion(4, 5, 2).indices == [0, 2, 4]
    assert IntervalFusion(4, 3, 1).indices == [0, 1, 2]
    with pytest.raises(ValueError, match='interval'):
        IntervalFusion(4, 3, 4)


def test_neuron_attention_gates_each_neuron():
    na = NeuronAttention(4)
    x = torch.randn(1, 4, 5, 5)
    gate = torch.sigmoid(na.pointwise(torch.relu(na.depthwise(x))))
    assert torch.allclose(na(x), x * gate)
    assert gate.shape == x.shape and ((gate > 0) & (gate < 1)).all()


@pytest.mark.parametrize('kwargs, match', [
    (dict(upscale_factor=5), 'upscale_factor'),
    (dict(mid_channels=8), 'gc_ratio'),
    (dict(num_blocks=3, block_concat_interval=4), 'interval'),
])
def test_bad_arguments_are_rejected_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RNANNet(num_groups=1, **kwargs)


def _reference_forward(net, x):
    """RNAN straight from Eqs. (1)-(7): NCHW, no in-place ops, the module's weights."""
    import torch.nn.functional as F

    def conv(m, t):
        return F.conv2d(t, m.weight, m.bias, padding=m.padding, groups=m.groups)

    def fusion(f, feats):
        return conv(f.fuse, conv(f.reduce, torch.cat([feats[i] for i in f.indices], dim=1)))

    def block(b, t):
        a = b.attention
        rb = conv(b.conv2, torch.relu(conv(b.conv1, t)))
        return t + rb * torch.sigmoid(conv(a.pointwise, torch.relu(conv(a.depthwise, rb))))

    shallow = conv(net.conv_first, x)
    outs, feat = [], shallow
    for group in net.body:
        h, block_outs = feat, []
        for b in group.blocks:
            h = block(b, h)
            block_outs.append(h)
        feat = group.context(feat + fusion(group.fusion, block_outs))  # mmcv's GC block as is
        outs.append(feat)
    return conv(net.conv_last, net.upsample(shallow + fusion(net.conv_after_body, outs)))


@pytest.mark.parametrize('channels_last', [True, False])
def test_fast_paths_compute_the_equations(channels_last):
    """The CPU speed-ups (NHWC trunk, 1x1 convs as matmuls, in-place activations) change
    neither outputs nor gradients beyond float rounding."""
    torch.manual_seed(0)
    net = RNANNet(mid_channels=16, num_groups=3, num_blocks=3, upscale_factor=3,
                  cpu_channels_last=channels_last)
    x = torch.rand(2, 3, 9, 7)
    out = net(x)
    ref = _reference_forward(net, x)
    assert out.is_contiguous()
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    params = [p for p in net.parameters()]
    grads = torch.autograd.grad(out.square().mean(), params)
    ref_grads = torch.autograd.grad(ref.square().mean(), params)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6)


def test_state_dict_keys_are_the_checkpoint_format():
    net = RNANNet(mid_channels=16, num_groups=2, num_blocks=3, upscale_factor=4)
    names = ['conv_first']
    for g in range(2):
        for b in range(3):
            names += [f'body.{g}.blocks.{b}.{m}' for m in
                      ('conv1', 'conv2', 'attention.depthwise', 'attention.pointwise')]
        names += [f'body.{g}.{m}' for m in ('fusion.reduce', 'fusion.fuse', 'context.conv_mask',
                                            'context.channel_add_conv.0',
                                            'context.channel_add_conv.1',
                                            'context.channel_add_conv.3')]
    names += ['conv_after_body.reduce', 'conv_after_body.fuse', 'upsample.0.upsample_conv',
              'upsample.1.upsample_conv', 'conv_last']
    assert list(net.state_dict()) == [f'{n}.{p}' for n in names for p in ('weight', 'bias')]


def test_pointwise_conv_is_the_1x1_conv_in_both_layouts():
    from mmzoom.models.layers.neuron_attention import pointwise_conv
    conv = torch.nn.Conv2d(8, 5, 1)
    x = torch.randn(2, 8, 6, 7)
    xl = x.contiguous(memory_format=torch.channels_last)
    out = pointwise_conv(xl, conv)
    assert out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out, conv(x), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(pointwise_conv(x, conv), conv(x))

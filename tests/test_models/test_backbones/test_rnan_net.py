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

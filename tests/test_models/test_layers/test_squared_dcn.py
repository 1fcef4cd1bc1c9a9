import pytest
import torch
import torch.nn.functional as F

from mmzoom.models.layers import PerPointDeformConv2d, SquaredDeformConv2d

SQUARED_BACKENDS = ['mmcv', 'fast', 'torchvision']
TOL = dict(rtol=1e-4, atol=1e-4)


def make_pair(cls, backend, ref_backend='mmcv', **kwargs):
    torch.manual_seed(0)
    ref = cls(backend=ref_backend, **kwargs)
    other = cls(backend=backend, **kwargs)
    other.load_state_dict(ref.state_dict())
    return ref, other


def outputs_and_grads(layer, x, offset, grad_out=None):
    x = x.clone().requires_grad_()
    offset = offset.clone().requires_grad_()
    layer.zero_grad()
    out = layer(x, offset)
    if grad_out is None:
        return out
    out.backward(grad_out)
    grads = [x.grad, offset.grad, layer.weight.grad]
    if layer.bias is not None:
        grads.append(layer.bias.grad)
    return out, grads


def random_offsets(n, channels, h, w, generator):
    # Non-integer everywhere (bilinear weights are not differentiable at integers) and large enough
    # that some windows land partly or wholly outside the 7x9 input.
    off = (torch.rand(n, channels, h, w, generator=generator) - 0.5) * 26
    frac = off - off.floor()
    return torch.where((frac - 0.5).abs() > 0.45, off + 0.2, off)


@pytest.mark.parametrize('backend', ['fast', 'torchvision'])
@pytest.mark.parametrize('kernel_size, padding, bias', [(3, 1, True), (3, 0, True), (5, 2, False),
                                                        (1, 0, True)])
def test_squared_backends_match_mmcv_outputs_and_gradients(backend, kernel_size, padding, bias):
    ref, other = make_pair(SquaredDeformConv2d, backend, in_channels=3, out_channels=5,
                           kernel_size=kernel_size, padding=padding, bias=bias)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 7, 9, generator=g)
    out_h, out_w = ref.output_size(7, 9)
    offset = random_offsets(2, 2, out_h, out_w, g)
    assert (offset.abs() > 9).any()  # some windows entirely outside the image
    grad_out = torch.randn(2, 5, out_h, out_w, generator=g)
    out_ref, grads_ref = outputs_and_grads(ref, x, offset, grad_out)
    out, grads = outputs_and_grads(other, x, offset, grad_out)
    assert out.shape == (2, 5, out_h, out_w)
    torch.testing.assert_close(out, out_ref, **TOL)
    for name, a, b in zip(['input', 'offset', 'weight', 'bias'], grads, grads_ref):
        torch.testing.assert_close(a, b, **TOL, msg=lambda m: f'{name} gradient: {m}')


@pytest.mark.parametrize('backend', SQUARED_BACKENDS)
def test_zero_offset_is_a_plain_convolution(backend):
    torch.manual_seed(0)
    layer = SquaredDeformConv2d(4, 6, backend=backend)
    x = torch.randn(3, 4, 7, 9)
    out = layer(x, torch.zeros(3, 2, 7, 9))
    torch.testing.assert_close(out, F.conv2d(x, layer.weight, layer.bias, padding=1), **TOL)


@pytest.mark.parametrize('backend', SQUARED_BACKENDS)
def test_integer_offset_shifts_the_convolution_of_the_zero_extended_input(backend):
    # Independent of any DCN code: with an integer offset (dy, dx) the output at p is the
    # convolution of the zero-padded input at p + (dy, dx).
    torch.manual_seed(0)
    layer = SquaredDeformConv2d(2, 3, backend=backend)
    x = torch.randn(1, 2, 7, 9)
    dy, dx = 2, -3
    offset = torch.tensor([float(dy), float(dx)]).view(1, 2, 1, 1).expand(1, 2, 7, 9)
    pad = 8
    wide = F.conv2d(F.pad(x, (pad, pad, pad, pad)), layer.weight, layer.bias)  # origin at -pad+1
    expected = wide[..., pad - 1 + dy:pad - 1 + dy + 7, pad - 1 + dx:pad - 1 + dx + 9]
    torch.testing.assert_close(layer(x, offset), expected, **TOL)


@pytest.mark.parametrize('backend', SQUARED_BACKENDS)
def test_windows_moved_outside_the_image_give_the_bias(backend):
    torch.manual_seed(0)
    layer = SquaredDeformConv2d(2, 3, backend=backend)
    x = torch.randn(2, 2, 5, 6)
    offset = torch.full((2, 2, 5, 6), 9.5)
    out = layer(x, offset)
    torch.testing.assert_close(out, layer.bias.view(1, 3, 1, 1).expand_as(out), **TOL)


def test_strided_squared_dcn_mmcv_matches_torchvision():
    ref, other = make_pair(SquaredDeformConv2d, 'torchvision', in_channels=3, out_channels=4,
                           stride=2)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 9, 8, generator=g)
    offset = random_offsets(2, 2, 5, 4, g)
    grad_out = torch.randn(2, 4, 5, 4, generator=g)
    out_ref, grads_ref = outputs_and_grads(ref, x, offset, grad_out)
    out, grads = outputs_and_grads(other, x, offset, grad_out)
    torch.testing.assert_close(out, out_ref, **TOL)
    for a, b in zip(grads, grads_ref):
        torch.testing.assert_close(a, b, **TOL)


def test_squared_equals_per_point_with_the_offset_repeated_over_taps():
    torch.manual_seed(0)
    squared = SquaredDeformConv2d(3, 4)
    per_point = PerPointDeformConv2d(3, 4)
    per_point.load_state_dict(squared.state_dict())
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 6, 7, generator=g)
    offset = random_offsets(2, 2, 6, 7, g)
    torch.testing.assert_close(per_point(x, offset.repeat(1, 9, 1, 1)), squared(x, offset), **TOL)


def test_per_point_backends_agree_on_outputs_and_gradients():
    ref, other = make_pair(PerPointDeformConv2d, 'torchvision', in_channels=3, out_channels=5)
    g = torch.Generator().manual_seed(4)
    x = torch.randn(2, 3, 7, 9, generator=g)
    offset = random_offsets(2, 18, 7, 9, g)
    grad_out = torch.randn(2, 5, 7, 9, generator=g)
    out_ref, grads_ref = outputs_and_grads(ref, x, offset, grad_out)
    out, grads = outputs_and_grads(other, x, offset, grad_out)
    torch.testing.assert_close(out, out_ref, **TOL)
    for a, b in zip(grads, grads_ref):
        torch.testing.assert_close(a, b, **TOL)


def test_batch_not_a_multiple_of_mmcv_im2col_step():
    # mmcv processes the batch in chunks and asserts divisibility; 33 is prime to every chunk > 1.
    torch.manual_seed(0)
    ref, fast = make_pair(SquaredDeformConv2d, 'fast', in_channels=1, out_channels=2)
    x = torch.randn(33, 1, 3, 4)
    offset = torch.rand(33, 2, 3, 4) - 0.5
    torch.testing.assert_close(fast(x, offset), ref(x, offset), **TOL)


def test_state_dict_is_the_same_for_every_backend():
    keys = {b: list(SquaredDeformConv2d(2, 3, backend=b).state_dict()) for b in SQUARED_BACKENDS}
    assert all(k == ['weight', 'bias'] for k in keys.values())
    assert list(PerPointDeformConv2d(2, 3).state_dict()) == ['weight', 'bias']
    assert list(SquaredDeformConv2d(2, 3, bias=False).state_dict()) == ['weight']


@pytest.mark.parametrize('make, match', [
    (lambda: SquaredDeformConv2d(2, 3, backend='cuda'), 'backend'),
    (lambda: SquaredDeformConv2d(2, 3, stride=2, backend='fast'), 'stride 1'),
    (lambda: PerPointDeformConv2d(2, 3, backend='fast'), 'backend'),
    (lambda: SquaredDeformConv2d(2, 3, kernel_size=0), 'kernel_size'),
    (lambda: SquaredDeformConv2d(2, 3, padding=-1), 'padding'),
])
def test_bad_arguments_are_rejected_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize('backend', SQUARED_BACKENDS)
def test_bad_input_shapes_are_rejected_with_the_expected_shape(backend):
    layer = SquaredDeformConv2d(2, 3, backend=backend)
    with pytest.raises(ValueError, match=r'x of shape \(N, 2, H, W\)'):
        layer(torch.zeros(1, 3, 5, 5), torch.zeros(1, 2, 5, 5))
    with pytest.raises(ValueError, match=r'\(1, 2, 5, 5\)'):
        layer(torch.zeros(1, 2, 5, 5), torch.zeros(1, 18, 5, 5))
    with pytest.raises(ValueError, match='offset of shape'):
        layer(torch.zeros(1, 2, 5, 5), torch.zeros(2, 2, 5, 5))
    with pytest.raises(ValueError, match='offset of shape'):
        layer(torch.zeros(1, 2, 5, 5), torch.zeros(1, 2, 4, 5))
    per_point = PerPointDeformConv2d(2, 3)
    with pytest.raises(ValueError, match=r'\(1, 18, 5, 5\)'):
        per_point(torch.zeros(1, 2, 5, 5), torch.zeros(1, 2, 5, 5))


@pytest.mark.parametrize('backend', SQUARED_BACKENDS)
def test_channels_last_tensors_give_the_same_result(backend):
    torch.manual_seed(0)
    layer = SquaredDeformConv2d(3, 4, backend=backend)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(2, 3, 6, 7, generator=g)
    offset = random_offsets(2, 2, 6, 7, g)
    expected = layer(x, offset)
    layer.to(memory_format=torch.channels_last)
    out = layer(x.to(memory_format=torch.channels_last),
                offset.to(memory_format=torch.channels_last))
    torch.testing.assert_close(out, expected, **TOL)


def test_fast_backend_samples_in_float32_under_autocast():
    torch.manual_seed(0)
    layer = SquaredDeformConv2d(3, 4, backend='fast')
    x = torch.randn(1, 3, 6, 7)
    offset = torch.full((1, 2, 6, 7), 0.25)  # exact in bfloat16
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = layer(x, offset.bfloat16())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, layer(x, offset), rtol=0.05, atol=0.05)

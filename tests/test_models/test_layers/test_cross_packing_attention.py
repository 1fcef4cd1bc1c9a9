import pytest
import torch

from mmzoom.models.layers import CrossPackingAttention, gram_channel_attention

TOL = dict(rtol=1e-4, atol=1e-5)


def public_code_gram_attention(x, k, gamma):
    """SDAN's gram CPA written out independently: a (row phase, column phase, channel) packing
    order, unlike pixel_unshuffle's (channel, row phase, column phase), and the explicit
    rowmax(E) - E softmax."""
    n, c, h, w = x.shape
    packed = x.view(n, c, h // k, k, w // k, k).permute(0, 3, 5, 1, 2, 4).reshape(n, k * k * c, -1)
    energy = packed @ packed.transpose(1, 2)
    attn = torch.softmax(energy.max(-1, keepdim=True)[0] - energy, dim=-1)
    out = gamma * (attn @ packed) + packed
    return out.view(n, k, k, c, h // k, w // k).permute(0, 3, 4, 1, 5, 2).reshape(n, c, h, w)


def test_gram_attention_matches_the_public_formula_with_another_packing_order():
    torch.manual_seed(0)
    layer = CrossPackingAttention(3, pack_size=4)
    with torch.no_grad():
        layer.gamma.fill_(0.7)
    x = torch.randn(2, 3, 8, 12)
    torch.testing.assert_close(layer(x), public_code_gram_attention(x, 4, 0.7), **TOL)


def test_gram_attention_starts_as_the_identity_and_gamma_learns():
    layer = CrossPackingAttention(4, pack_size=2)
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    out = layer(x)
    torch.testing.assert_close(out, x)
    out.square().sum().backward()
    assert layer.gamma.grad is not None and layer.gamma.grad.abs() > 0


@pytest.mark.parametrize('size', [(8, 12), (13, 11)])
def test_sdpa_and_explicit_gram_attention_agree_with_gradients(size):
    torch.manual_seed(0)
    x = torch.randn(2, 3, *size)
    results = {}
    for impl in ('sdpa', 'explicit'):
        layer = CrossPackingAttention(3, pack_size=4, impl=impl)
        with torch.no_grad():
            layer.gamma.fill_(0.5)
        xi = x.clone().requires_grad_()
        out = layer(xi)
        out.backward(torch.cos(torch.arange(out.numel(), dtype=out.dtype)).view_as(out))
        results[impl] = (out, xi.grad, layer.gamma.grad)
    for a, b in zip(results['sdpa'], results['explicit']):
        torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize('impl', ['explicit', 'sdpa'])
def test_gram_attention_trains_under_autocast(impl):
    layer = CrossPackingAttention(4, pack_size=2, impl=impl)
    with torch.no_grad():
        layer.gamma.fill_(0.5)
    x = torch.randn(2, 4, 6, 6, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = layer(x)
    out.float().square().mean().backward()
    assert torch.isfinite(x.grad).all() and layer.gamma.grad is not None
    torch.testing.assert_close(out.float(), layer(x), rtol=0.05, atol=0.05)


def test_gram_channel_attention_is_sdpa_with_negated_keys():
    torch.manual_seed(0)
    x = torch.randn(3, 10, 7)
    expected = torch.softmax(-x @ x.transpose(1, 2), dim=-1) @ x
    torch.testing.assert_close(gram_channel_attention(x, 'sdpa'), expected, **TOL)
    torch.testing.assert_close(gram_channel_attention(x, 'explicit'), expected, **TOL)


def test_explicit_gram_attention_gradcheck():
    torch.manual_seed(0)
    x = torch.randn(2, 12, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: gram_channel_attention(t, 'explicit'), (x, ))


def test_explicit_gram_attention_with_widely_spread_logits_matches_the_exact_formula():
    # Logits spread far beyond the 2 log(eps) floor of the float32 path; the floored weights must
    # not show in outputs or gradients compared with the exact formula in float64.
    torch.manual_seed(0)
    x = torch.randn(2, 64, 20) * 10
    energy = x @ x.transpose(1, 2)
    assert (energy.amax(-1) - energy.amin(-1)).min() > 500
    grad_out = torch.randn(2, 64, 20)
    x32 = x.clone().requires_grad_()
    out32 = gram_channel_attention(x32, 'explicit')
    out32.backward(grad_out)
    x64 = x.double().requires_grad_()
    e64 = x64 @ x64.transpose(1, 2)
    out64 = torch.softmax(e64.amax(-1, keepdim=True) - e64, dim=-1) @ x64
    out64.backward(grad_out.double())
    for a, b in ((out32, out64), (x32.grad, x64.grad)):
        torch.testing.assert_close(a.double(), b, rtol=1e-4, atol=1e-4 * b.abs().max().item())


def test_non_divisible_gram_input_equals_a_zero_canvas():
    # Zero padding adds nothing to X X^T, so a 13x11 input behaves as if placed on a zero canvas.
    torch.manual_seed(0)
    layer = CrossPackingAttention(2, pack_size=4)
    with torch.no_grad():
        layer.gamma.fill_(1.3)
    x = torch.randn(1, 2, 13, 11)
    canvas = torch.zeros(1, 2, 16, 12)
    canvas[..., :13, :11] = x
    out = layer(x)
    assert out.shape == x.shape
    torch.testing.assert_close(out, layer(canvas)[..., :13, :11], **TOL)


def manual_se(layer, x, k):
    """SE over packed channels with every mean taken over the real pixels of its phase."""
    n, c = x.shape[:2]
    means = torch.stack([x[:, ch, i::k, j::k].mean(dim=(1, 2))
                         for ch in range(c) for i in range(k) for j in range(k)], dim=1)
    hidden = torch.relu(means @ layer.squeeze.weight.flatten(1).T + layer.squeeze.bias)
    scale = torch.sigmoid(hidden @ layer.excite.weight.flatten(1).T + layer.excite.bias)
    out = x.clone()
    for idx, (ch, i, j) in enumerate((ch, i, j) for ch in range(c) for i in range(k)
                                     for j in range(k)):
        out[:, ch, i::k, j::k] *= scale[:, idx].view(n, 1, 1)
    return out


@pytest.mark.parametrize('size', [(8, 12), (13, 11)])
def test_packed_se_attention_uses_means_over_real_pixels(size):
    torch.manual_seed(0)
    layer = CrossPackingAttention(3, pack_size=4, mode='se', reduction=4)
    x = torch.randn(2, 3, *size)
    torch.testing.assert_close(layer(x), manual_se(layer, x, 4), **TOL)


def test_cl_attention_is_plain_se_channel_attention():
    torch.manual_seed(0)
    layer = CrossPackingAttention(32, pack_size=1, mode='se')
    assert layer.squeeze.out_channels == 2  # 32 / 16
    x = torch.randn(2, 32, 5, 7)
    gate = torch.sigmoid(layer.excite(torch.relu(layer.squeeze(x.mean((2, 3), keepdim=True)))))
    torch.testing.assert_close(layer(x), x * gate, **TOL)


def test_parameter_counts():
    assert sum(p.numel() for p in CrossPackingAttention(64).parameters()) == 1
    se = CrossPackingAttention(64, mode='se')  # 4096 -> 256 -> 4096
    assert sum(p.numel() for p in se.parameters()) == 4096 * 256 * 2 + 256 + 4096


@pytest.mark.parametrize('kwargs, match', [
    (dict(mode='nonlocal'), 'mode'),
    (dict(impl='flash'), 'impl'),
    (dict(pack_size=0), 'pack_size'),
    (dict(mode='se', pack_size=1, reduction=32), 'reduction'),
])
def test_bad_arguments_are_rejected_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CrossPackingAttention(16, **kwargs)


def test_wrong_channel_count_is_rejected():
    with pytest.raises(ValueError, match=r'\(N, 4, H, W\)'):
        CrossPackingAttention(4)(torch.zeros(1, 3, 8, 8))


@pytest.mark.parametrize('mode, size', [('gram', (16, 24)), ('gram', (13, 22)), ('se', (16, 24)),
                                        ('se', (13, 22))])
def test_context_summed_over_tiles_is_the_whole_images(mode, size):
    # What tiled inference relies on: statistics of tiles that start on the packing grid add up
    # to the whole image's, and the whole image's attention applied to a tile is the whole
    # image's result there.
    torch.manual_seed(0)
    layer = CrossPackingAttention(3, pack_size=4, mode=mode)
    if mode == 'gram':
        with torch.no_grad():
            layer.gamma.fill_(0.8)
    x = torch.randn(2, 3, *size)
    h, w = size
    stats = sum(layer.context_stats(x[..., y:y + 8, c:c + 8])
                for y in range(0, h, 8) for c in range(0, w, 8))
    torch.testing.assert_close(stats, layer.context_stats(x), rtol=1e-5, atol=1e-4)  # float32 sums
    context = layer.context_from_stats(stats, h, w)
    whole = layer(x)
    torch.testing.assert_close(layer(x, context=context), whole, **TOL)
    tile = x[..., 4:12, 8:16 + 3]  # a tile ending off the packing grid, as at the image edge
    torch.testing.assert_close(layer(tile, context=context)[..., :8, :8],
                               whole[..., 4:12, 8:16], **TOL)
    # ... and its own attention is a different one.
    assert not torch.allclose(layer(tile)[..., :8, :8], whole[..., 4:12, 8:16], atol=1e-4)

"""Tiled SDAN == whole-image SDAN, for every Table 2 row, RAW and RGB, 4x and 8x.

The nets are small (16 channels, 2 residual blocks: trunk halo 7 px) so that a 52x76 input holds
many 16 px tiles and a tile's halo is far smaller than the image; their attention scales are set to
1 (a trained model's are non-zero; at 0 the attention is the identity and nothing global would be
tested) and the last offset conv is scaled so that offsets reach 15-40 px, across several tiles.
"""
import pytest
import torch

from mmzoom.apis import (LocalReference, Region, SDANTiler, TensorReference, TileError,
                         parse_tile_cfg, plan_tiles, sdan_tiled_forward)
from mmzoom.models.backbones import SDANNet
from mmzoom.models.layers import CrossPackingAttention
from mmzoom.models.layers.demosaic import BilinearDemosaic

ROWS = {
    'full_sdan': dict(),  # ++ Flip: squared offsets, CPA, flipped reference
    'dcn': dict(offset_type='per_point', attention='none', flip_ref=False, dcn_backend='mmcv'),
    'sdcn': dict(attention='none', flip_ref=False),
    'cl_attention': dict(attention='cl', flip_ref=False),
    'cp_attention': dict(flip_ref=False),
    'cpa_se_mode': dict(cpa_mode='se'),
    'rgb': dict(in_channels=3),
    'x8': dict(upscale_factor=8),
    'mmcv_backend': dict(dcn_backend='mmcv'),
}


def make_net(max_offset: float = 25.0, **kwargs) -> SDANNet:
    """A small SDAN whose offsets on :func:`photo_input` reach ``max_offset`` px."""
    torch.manual_seed(0)
    kwargs.setdefault('dcn_backend', 'fast')
    net = SDANNet(mid_channels=16, num_blocks=2, **kwargs).eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, CrossPackingAttention) and m.gamma is not None:
                m.gamma.fill_(1.0)
            elif isinstance(m, CrossPackingAttention):
                # Random SE weights give a sigmoid near 0.5 whatever the channel means: make
                # the means matter, as in a trained model.
                m.squeeze.weight.mul_(10)
                m.excite.weight.mul_(10)
        x = photo_input(net.in_channels)
        offset = net(x, self_reference(net)(x)).offset
        last = net.align.offset_conv[-1]
        last.weight.mul_(max_offset / offset.abs().max())
        last.bias.mul_(max_offset / offset.abs().max())
    return net


def self_reference(net):
    demosaic = BilinearDemosaic()
    if net.in_channels == 3:
        return lambda x: x
    return lambda x: demosaic(x).clamp(0, 1).pow(1 / 2.2)


def photo_input(channels: int, h: int = 52, w: int = 76) -> torch.Tensor:
    from skimage import data
    import torch.nn.functional as F
    img = torch.from_numpy(data.astronaut()).permute(2, 0, 1)[None].float() / 255
    img = F.interpolate(img, size=(h, w), mode='area')
    if channels == 3:
        return img
    mosaic = torch.zeros(1, 1, h, w)
    mosaic[..., 0::2, 0::2] = img[:, 0:1, 0::2, 0::2]
    mosaic[..., 0::2, 1::2] = img[:, 1:2, 0::2, 1::2]
    mosaic[..., 1::2, 0::2] = img[:, 1:2, 1::2, 0::2]
    mosaic[..., 1::2, 1::2] = img[:, 2:3, 1::2, 1::2]
    return mosaic


def rel_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item()


@pytest.mark.parametrize('row', sorted(ROWS))
def test_tiled_equals_whole(row):
    net = make_net(**ROWS[row])
    x = photo_input(net.in_channels)  # 52 x 76: not a multiple of the 16 px tile
    make_ref = self_reference(net)
    with torch.no_grad():
        whole = net(x, make_ref(x))
    tiled = sdan_tiled_forward(net, x, LocalReference(x, make_ref), 16)
    # The offsets reach across tile borders (the case a fixed halo would get wrong).
    assert whole.offset.abs().max() > 16
    for name, a, b in zip(whole._fields, tiled, whole):
        assert a.shape == b.shape, name
        assert rel_diff(a, b) <= 1e-4, (row, name, rel_diff(a, b))


def naive_tiles(net, x, make_ref, size, halo):
    """Each tile run as if it were a whole image with a wide halo: what a generic tiler does."""
    s = net.upscale_factor
    out = torch.zeros(1, 3, x.size(2) * s, x.size(3) * s)
    for core in plan_tiles(*x.shape[-2:], size):
        region = core.expand(halo, tuple(x.shape[-2:]))
        part = region.take(x)
        with torch.no_grad():
            y = net(part, make_ref(part)).output
        core.scaled(s).take(out).copy_(core.scaled(s).within(region.scaled(s), y))
    return out


@pytest.mark.parametrize('row', ['full_sdan', 'cp_attention'])
def test_global_operations_make_naive_tiling_wrong(row):
    # Why the tiler gathers mirrored references and whole-image attention: with a halo wider
    # than every receptive field but each tile seen alone, the result is visibly different.
    net = make_net(max_offset=2.0, **ROWS[row])
    x = photo_input(1, 64, 96)
    make_ref = self_reference(net)
    with torch.no_grad():
        whole = net(x, make_ref(x)).output
    assert rel_diff(naive_tiles(net, x, make_ref, 32, 24), whole) > 1e-3
    tiled = sdan_tiled_forward(net, x, LocalReference(x, make_ref), 32).output
    assert rel_diff(tiled, whole) <= 1e-4


def test_given_reference_and_batch_of_two():
    net = make_net(**ROWS['full_sdan'])
    x = torch.cat([photo_input(1), photo_input(1).flip(3)])
    ref = torch.rand(2, 3, *x.shape[-2:])
    with torch.no_grad():
        whole = net(x, ref).output
    tiled = sdan_tiled_forward(net, x, TensorReference(ref), 24).output
    assert rel_diff(tiled, whole) <= 1e-4


def test_one_tile_covering_the_image_is_the_whole_run():
    net = make_net(**ROWS['full_sdan'])
    x = photo_input(1, 24, 32)
    make_ref = self_reference(net)
    with torch.no_grad():
        whole = net(x, make_ref(x)).output
    assert rel_diff(sdan_tiled_forward(net, x, LocalReference(x, make_ref), 32).output,
                    whole) <= 1e-5


@pytest.mark.parametrize('size', [0, 12, 20, 7])
def test_tile_size_that_does_not_fit_the_packing_or_bayer_grid(size):
    net = make_net(**ROWS['full_sdan'])
    with pytest.raises(TileError, match='multiple of 8'):
        SDANTiler(net, size)


def test_tile_grid_follows_the_attention():
    assert SDANTiler(make_net(**ROWS['sdcn']), 2).grid == 2  # Bayer phase only
    assert SDANTiler(make_net(**ROWS['cl_attention']), 6).grid == 2
    assert SDANTiler(make_net(pack_size=4), 12).grid == 4


def test_region_helpers():
    frame = (10, 20)
    r = Region(2, 6, 4, 10)
    assert r.expand(3, frame) == Region(0, 9, 1, 13)
    assert r.mirrored(frame, True, False) == Region(4, 8, 4, 10)
    assert r.mirrored(frame, False, True) == Region(2, 6, 10, 16)
    assert plan_tiles(5, 7, 4) == [Region(0, 4, 0, 4), Region(0, 4, 4, 7), Region(4, 5, 0, 4),
                                   Region(4, 5, 4, 7)]


@pytest.mark.parametrize('value, expected', [
    (None, None), (0, None), (64, (64, None)), (dict(size=64, overlap=8), (64, 8)),
    (dict(size=0), None), ('auto', (128, None))])
def test_parse_tile_cfg(value, expected):
    from mmzoom.apis import TileSpec
    got = parse_tile_cfg(value, TileSpec(128))
    assert (None if got is None else tuple(got)) == expected


@pytest.mark.parametrize('value, match', [
    ('big', 'must be None'), (dict(size=-1), 'size must be'), (dict(sz=3), 'unknown keys'),
    (dict(size=8, overlap=-2), 'overlap must be')])
def test_parse_tile_cfg_errors(value, match):
    with pytest.raises(TileError, match=match):
        parse_tile_cfg(value, None)


def test_sdan_rejects_an_overlap():
    with pytest.raises(TileError, match='derived from the network'):
        parse_tile_cfg(dict(size=64, overlap=8), None, allow_overlap=False)

import numpy as np
import pytest
import torch

from mmzoom.models.layers.demosaic import BilinearDemosaic
from mmzoom.raw import pack_bayer


def test_flat_colour_is_reconstructed_everywhere():
    colour = torch.tensor([0.8, 0.5, 0.2])
    mosaic = torch.empty(1, 1, 6, 8)
    mosaic[..., 0::2, 0::2] = colour[0]
    mosaic[..., 0::2, 1::2] = colour[1]
    mosaic[..., 1::2, 0::2] = colour[1]
    mosaic[..., 1::2, 1::2] = colour[2]
    rgb = BilinearDemosaic()(mosaic)
    assert torch.allclose(rgb, colour.view(1, 3, 1, 1).expand_as(rgb), atol=1e-6)


def test_measured_sites_are_kept_and_layout_matches_raw_packing():
    mosaic = torch.rand(2, 1, 8, 10)
    rgb = BilinearDemosaic()(mosaic)
    packed = pack_bayer(mosaic[0, 0].numpy())  # RGGB -> channels R, G, B, G
    assert np.allclose(rgb[0, 0, 0::2, 0::2].numpy(), packed[..., 0])
    assert np.allclose(rgb[0, 1, 0::2, 1::2].numpy(), packed[..., 1])
    assert np.allclose(rgb[0, 2, 1::2, 1::2].numpy(), packed[..., 2])
    # a missing red value between two reds is their mean
    assert torch.allclose(rgb[:, 0, 2, 3], (mosaic[:, 0, 2, 2] + mosaic[:, 0, 2, 4]) / 2)


def test_rejects_odd_or_multichannel():
    with pytest.raises(ValueError, match='mosaic'):
        BilinearDemosaic()(torch.rand(1, 1, 5, 6))
    with pytest.raises(ValueError, match='mosaic'):
        BilinearDemosaic()(torch.rand(1, 3, 6, 6))

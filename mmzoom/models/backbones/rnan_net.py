"""RNAN: residual neuron attention network for single-image SR (Ai et al., ICIP 2020, Sec. 2).

Not the "Residual Non-local Attention Network" of Zhang et al. (ICLR 2019), which shares the acronym.
"""
from typing import List, Optional

import torch
from mmcv.cnn import ContextBlock
from mmengine.model import BaseModule
from torch import nn

from mmagic.models.archs import PixelShufflePack
from mmagic.registry import MODELS

from ..layers.neuron_attention import RNABlock, pointwise_conv


class IntervalFusion(nn.Module):
    """Concatenate every ``interval``-th of a sequence of feature maps, then 1x1 + 3x3 convs.

    This is the "uniformly-spaced" fusion H_RF(H_F(F_N, F_2N, ..., F_G)) of Eq. (3) and
    H_DF(H_F(...)) of Eq. (5). The last feature map is always among the fused ones.

    Shapes:
        features: ``num_inputs`` tensors (N, C, H, W) -> (N, C, H, W)
    """

    def __init__(self, channels: int, num_inputs: int, interval: int) -> None:
        super().__init__()
        if not 1 <= interval <= num_inputs:
            raise ValueError(f'the concatenation interval must be in [1, {num_inputs}] '
                             f'(the number of fused stages), got {interval}')
        self.indices = list(range(num_inputs - 1, -1, -interval))[::-1]
        self.reduce = nn.Conv2d(channels * len(self.indices), channels, 1)
        self.fuse = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, features: List[torch.Tensor]) -> torch.Tensor:
        cat = torch.cat([features[i] for i in self.indices], dim=1)
        return self.fuse(pointwise_conv(cat, self.reduce))


class GCRG(nn.Module):
    """Global context-enhanced residual group, Eq. (5).

    ``F_g = GC(F_{g-1} + H_DF(concat of every M-th RNA block output))``; GC is GCNet's context
    block (attention pooling, channel-add transform with LayerNorm), taken from mmcv.

    Shapes:
        x: (N, C, H, W) -> (N, C, H, W)
    """

    def __init__(self, channels: int, num_blocks: int, concat_interval: int,
                 gc_ratio: float = 1 / 16, na_kernel_size: int = 3) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            RNABlock(channels, na_kernel_size) for _ in range(num_blocks))
        self.fusion = IntervalFusion(channels, num_blocks, concat_interval)
        self.context = ContextBlock(channels, gc_ratio, pooling_type='att',
                                    fusion_types=('channel_add', ))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs, feat = [], x
        for block in self.blocks:
            feat = block(feat)
            outs.append(feat)
        return self.context(self.fusion(outs).add_(x))


@MODELS.register_module()
class RNANNet(BaseModule):
    """RNAN backbone (Ai et al., ICIP 2020, Fig. 1 and Eqs. 1-5).

    shallow 3x3 conv -> ``num_groups`` GCRGs -> fusion of every ``group_concat_interval``-th group
    output (1x1 + 3x3) + shallow features -> sub-pixel upsampler -> 3x3 reconstruction conv.

    The paper gives both "10 RNA blocks per GCRG" and "RNAB 20, GCRG 10". With 64 features and a
    3x3 depthwise conv, 20 groups x 10 blocks (both intervals 2) has 17.12M / 17.31M / 17.27M
    parameters at x2 / x3 / x4 against the 17.30M of the paper's Table 2; 10 x 20 has 16.7-16.9M.
    The defaults are therefore 20 groups of 10 blocks (configs/rnan/README.md).

    Args:
        in_channels (int): Input channels. Default: 3.
        out_channels (int): Output channels. Default: 3.
        mid_channels (int): Feature channels C. Default: 64.
        num_groups (int): Number of GCRGs G. Default: 20.
        num_blocks (int): RNA blocks per GCRG B. Default: 10.
        group_concat_interval (int): N of Eq. (3). Default: 2.
        block_concat_interval (int): M of Eq. (5). Default: 2.
        upscale_factor (int): 2, 3, 4 or 8. Default: 4.
        gc_ratio (float): Bottleneck ratio of the GC block (1/r, r = 16). Default: 1/16.
        na_kernel_size (int): Depthwise kernel of neuron attention. Default: 3.
        cpu_channels_last (bool): Run the trunk on channels-last (NHWC) tensors when the input
            is on the CPU. oneDNN computes this network's 3x3 and depthwise convolutions several
            times faster in that layout; results agree with the NCHW run to float rounding and
            are returned contiguous (NCHW). Not a weight: checkpoints are unaffected.
            Default: True.
        init_cfg (dict, optional): MMEngine initialisation config. Default: None.

    Shapes:
        x: (N, in_channels, H, W) -> (N, out_channels, s*H, s*W), s = upscale_factor
    """

    def __init__(self,
                 in_channels: int = 3,
                 out_channels: int = 3,
                 mid_channels: int = 64,
                 num_groups: int = 20,
                 num_blocks: int = 10,
                 group_concat_interval: int = 2,
                 block_concat_interval: int = 2,
                 upscale_factor: int = 4,
                 gc_ratio: float = 1 / 16,
                 na_kernel_size: int = 3,
                 cpu_channels_last: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if upscale_factor not in (2, 3, 4, 8):
            raise ValueError(f'upscale_factor must be 2, 3, 4 or 8, got {upscale_factor}')
        if mid_channels * gc_ratio < 1:
            raise ValueError(f'mid_channels * gc_ratio must be >= 1 (the GC bottleneck width), '
                             f'got {mid_channels} * {gc_ratio}')
        self.upscale_factor = upscale_factor
        self.cpu_channels_last = cpu_channels_last
        self.conv_first = nn.Conv2d(in_channels, mid_channels, 3, padding=1)
        self.body = nn.ModuleList(
            GCRG(mid_channels, num_blocks, block_concat_interval, gc_ratio, na_kernel_size)
            for _ in range(num_groups))
        self.conv_after_body = IntervalFusion(mid_channels, num_groups, group_concat_interval)
        if upscale_factor == 3:
            stages = [PixelShufflePack(mid_channels, mid_channels, 3, upsample_kernel=3)]
        else:
            stages = [
                PixelShufflePack(mid_channels, mid_channels, 2, upsample_kernel=3)
                for _ in range(upscale_factor.bit_length() - 1)
            ]
        self.upsample = nn.Sequential(*stages)
        self.conv_last = nn.Conv2d(mid_channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.cpu_channels_last and x.device.type == 'cpu':
            # On CPU, oneDNN's NCHW path is ~1.7x slower for the 3x3 convs and ~8x for the
            # depthwise ones; every layer keeps the layout of its input, so setting it once here
            # moves the whole trunk to NHWC.
            x = x.contiguous(memory_format=torch.channels_last)
        shallow = self.conv_first(x)
        outs, feat = [], shallow
        for group in self.body:
            feat = group(feat)
            outs.append(feat)
        feat = self.conv_after_body(outs).add_(shallow)
        return self.conv_last(self.upsample(feat)).contiguous()

"""SDAN: squared deformable alignment network (Mei et al., ICME 2021, Sec. 3, Figs. 1-2)."""
from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmagic.models.archs import PixelShufflePack, ResidualBlockNoBN
from mmagic.models.utils import make_layer
from mmagic.registry import MODELS

from ..layers.cross_packing_attention import CrossPackingAttention
from ..layers.squared_dcn import PerPointDeformConv2d, SquaredDeformConv2d


class SDANOutput(NamedTuple):
    """What :class:`SDANNet` returns (s = upscale_factor, (h, w) = input grid).

    output: zoomed image X~ (N, out_channels, s*h, s*w).
    aligned_lr: aligned low-resolution image X' (N, out_channels, h, w), trained against Y'.
    mask_lr: M' (N, 1, h, w), 1 where the aligned sample lies inside the input, else 0.
    mask_hr: M (N, 1, s*h, s*w), M' nearest-upsampled.
    offset: the learned offsets (N, 2, h, w) squared or (N, 2*3*3, h, w) per point, (dy, dx).
    """
    output: Tensor
    aligned_lr: Tensor
    mask_lr: Tensor
    mask_hr: Tensor
    offset: Tensor


def inside_mask(offset: Tensor, origin: Tuple[int, int] = (0, 0),
                frame: Optional[Tuple[int, int]] = None) -> Tensor:
    """M' of Sec. 3.3: 1 where ``pixel + offset`` lies within the pixel-centre grid, else 0.

    A point counts as inside when ``0 <= y + dy <= h - 1`` and ``0 <= x + dx <= w - 1``: its
    bilinear sample then reads real pixels only, never the zero padding. (The public code tests
    ``0 <= y + dy < h``, which also admits the half-padded last half pixel at the bottom and right.)

    Args:
        offset (Tensor): (N, 2, h, w) as (dy, dx).
        origin (tuple[int]): position of ``offset[..., 0, 0]`` in the image, for a tile of a
            larger image (``mmzoom.apis``). Default: (0, 0).
        frame (tuple[int], optional): (H, W) of that image. Default: None, ``offset``'s own size.

    Returns:
        Tensor: (N, 1, h, w) of 0/1 in ``offset.dtype``, without gradient.
    """
    with torch.no_grad():
        h, w = offset.shape[-2:]
        frame_h, frame_w = frame or (h, w)
        rows = torch.arange(h, device=offset.device, dtype=offset.dtype).view(h, 1) + origin[0]
        cols = torch.arange(w, device=offset.device, dtype=offset.dtype) + origin[1]
        y = offset[:, 0] + rows
        x = offset[:, 1] + cols
        inside = (y >= 0) & (y <= frame_h - 1) & (x >= 0) & (x <= frame_w - 1)
        return inside.unsqueeze(1).to(offset.dtype)


class SquaredDeformableAlignment(nn.Module):
    """Squared deformable alignment (Sec. 3.2, Fig. 2) with the aligned-image head (Sec. 3.3).

    ``F_Y' = ReLU(conv(Y' ++ flips(Y')))``; offsets from ``cat(F_X, F_Y')`` through
    conv -> attention -> ReLU -> conv -> attention -> ReLU -> conv;
    ``F_X' = ReLU(DCN(F_X, offsets))``; ``X' = conv(F_X')``.

    Args:
        channels (int): Feature channels C. Default: 64.
        ref_channels (int): Channels of the reference Y' (and of X'). Default: 3.
        offset_type (str): ``'squared'`` (2 offset channels, SDCN) or ``'per_point'``
            (2*3*3, vanilla DCN, Table 2 row "DCN"). Default: ``'squared'``.
        attention (str): ``'cpa'`` (cross packing attention), ``'cl'`` (SE channel attention without
            packing, "CL-Attention") or ``'none'``. Default: ``'cpa'``.
        cpa_mode (str): :class:`CrossPackingAttention` mode, ``'gram'`` or ``'se'``.
            Default: ``'gram'``.
        pack_size (int): K of the cross packing attention. Default: 8.
        attention_impl (str): ``'explicit'`` or ``'sdpa'`` for ``cpa_mode='gram'``.
            Default: ``'explicit'``.
        flip_ref (bool): Feed Y' with its vertical, horizontal and double flips (12 channels for
            RGB) instead of Y' alone (Table 2 "++ Flip Augment"). Default: True.
        dcn_backend (str): Backend of the deformable convolution. Default: ``'mmcv'``.
        offset_init (str): ``'kaiming'`` (the public code: every offset conv Kaiming-normal, so
            training starts from random offsets of about a pixel) or ``'zero'`` (the last one
            zero, so training starts from zero offsets, as MMCV's DCN packs do).
            Default: ``'kaiming'``.

    Shapes:
        feat: (N, C, h, w), ref: (N, ref_channels, h, w) ->
        aligned feat (N, C, h, w), X' (N, ref_channels, h, w), M' (N, 1, h, w), offset
    """

    offset_types = ('squared', 'per_point')
    attentions = ('cpa', 'cl', 'none')

    def __init__(self,
                 channels: int = 64,
                 ref_channels: int = 3,
                 offset_type: str = 'squared',
                 attention: str = 'cpa',
                 cpa_mode: str = 'gram',
                 pack_size: int = 8,
                 attention_impl: str = 'explicit',
                 flip_ref: bool = True,
                 dcn_backend: str = 'mmcv',
                 offset_init: str = 'kaiming') -> None:
        super().__init__()
        if offset_init not in ('kaiming', 'zero'):
            raise ValueError(f"offset_init must be 'kaiming' or 'zero', got {offset_init!r}")
        if offset_type not in self.offset_types:
            raise ValueError(f'offset_type must be one of {self.offset_types}, got {offset_type!r}')
        if attention not in self.attentions:
            raise ValueError(f'attention must be one of {self.attentions}, got {attention!r}')
        self.flip_ref = flip_ref
        self.offset_type = offset_type
        ref_in = ref_channels * (4 if flip_ref else 1)
        self.ref_conv = nn.Sequential(nn.Conv2d(ref_in, channels, 3, padding=1), nn.ReLU(True))

        def make_attention() -> nn.Module:
            if attention == 'cpa':
                return CrossPackingAttention(channels, pack_size, cpa_mode, impl=attention_impl)
            if attention == 'cl':
                return CrossPackingAttention(channels, 1, 'se')
            return nn.Identity()

        dcn_cls = SquaredDeformConv2d if offset_type == 'squared' else PerPointDeformConv2d
        self.dcn = dcn_cls(channels, channels, 3, padding=1, backend=dcn_backend)
        self.offset_conv = nn.Sequential(
            nn.Conv2d(2 * channels, channels, 3, padding=1), make_attention(), nn.ReLU(True),
            nn.Conv2d(channels, channels, 3, padding=1), make_attention(), nn.ReLU(True),
            nn.Conv2d(channels, self.dcn.offset_channels, 3, padding=1))
        self.conv_aligned = nn.Conv2d(channels, ref_channels, 3, padding=1)
        for m in self.offset_conv.modules():
            if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3):
                # As in the public code: Kaiming-normal weights and zero biases, so training starts
                # from random offsets of about a pixel, not from the zero offsets of a DCN pack.
                nn.init.kaiming_normal_(m.weight, a=0.02)
                nn.init.zeros_(m.bias)
        if offset_init == 'zero':
            nn.init.zeros_(self.offset_conv[-1].weight)

    def forward(self, feat: Tensor, ref: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Align ``feat`` to ``ref``.

        Args:
            feat (Tensor): F_X, (N, C, h, w).
            ref (Tensor): Y', (N, ref_channels, h, w).

        Returns:
            tuple[Tensor]: aligned features F_X' (N, C, h, w), X' (N, ref_channels, h, w),
            M' (N, 1, h, w) and the offsets (N, 2 or 18, h, w).
        """
        if self.flip_ref:
            ref = torch.cat([ref, ref.flip(2), ref.flip(3), ref.flip((2, 3))], dim=1)
        offset = self.offset_conv(torch.cat([feat, self.ref_conv(ref)], dim=1))
        aligned = F.relu(self.dcn(feat, offset), inplace=True)
        return aligned, self.conv_aligned(aligned), self.mask(offset), offset

    def mask(self, offset: Tensor, origin: Tuple[int, int] = (0, 0),
             frame: Optional[Tuple[int, int]] = None) -> Tensor:
        """M' (N, 1, h, w) of the offsets (arguments as :func:`inside_mask`)."""
        if self.offset_type == 'per_point':
            # The centre tap's offset is where the window is centred, the analogue of the squared
            # offset; requiring every tap inside would mark the border pixels even at zero offset.
            centre = 2 * (self.dcn.kernel_size**2 // 2)
            offset = offset[:, centre:centre + 2]
        return inside_mask(offset, origin, frame)


@MODELS.register_module()
class SDANNet(BaseModule):
    """SDAN backbone (Mei et al., ICME 2021, Sec. 3, Figs. 1-2; Table 2 rows via arguments).

    head conv (in_channels -> C) + ReLU -> :class:`SquaredDeformableAlignment` with the reference
    Y' -> ``num_blocks`` residual blocks (conv-ReLU-conv, no BN) -> conv, + aligned features ->
    log2(s) x (conv C -> 4C, PixelShuffle(2), ReLU) -> conv C -> out_channels.

    The defaults are the full SDAN ("++ Flip Augment" of Table 2). Other rows: "DCN"
    ``offset_type='per_point', attention='none', flip_ref=False``; "SDCN" ``attention='none',
    flip_ref=False``; "+ CL-Attention" ``attention='cl', flip_ref=False``; "+ CP-Attention"
    ``flip_ref=False``.

    Args:
        in_channels (int): 1 for the full-resolution Bayer mosaic, 3 for RGB. Default: 1.
        out_channels (int): Channels of the output, of X' and of the reference Y'. Default: 3.
        mid_channels (int): Feature channels C. Default: 64.
        num_blocks (int): Residual blocks in the trunk. Default: 16.
        upscale_factor (int): s, 4 or 8; the output is s x the input grid (the mosaic grid for
            RAW input). Default: 4.
        offset_type (str): ``'squared'`` or ``'per_point'``. Default: ``'squared'``.
        attention (str): ``'cpa'``, ``'cl'`` or ``'none'`` in the offset branch. Default: ``'cpa'``.
        cpa_mode (str): ``'gram'`` (public code) or ``'se'``. Default: ``'gram'``.
        pack_size (int): K of the cross packing attention. Default: 8.
        attention_impl (str): ``'explicit'`` or ``'sdpa'`` (same values; ``'sdpa'`` stores less
            but is much slower on CPU, see :func:`gram_channel_attention`). Default:
            ``'explicit'``.
        flip_ref (bool): Flip-augmented reference (12 input channels for RGB). Default: True.
        dcn_backend (str): ``'mmcv'``, ``'fast'`` (squared only) or ``'torchvision'``.
            Default: ``'mmcv'``.
        offset_init (str): ``'kaiming'`` (public code) or ``'zero'`` (training starts from zero
            offsets); see :class:`SquaredDeformableAlignment`. Default: ``'kaiming'``.
        init_cfg (dict, optional): MMEngine initialisation config. Default: None.

    Shapes:
        x: (N, in_channels, h, w); ref: (N, out_channels, h, w) -> :class:`SDANOutput`
    """

    def __init__(self,
                 in_channels: int = 1,
                 out_channels: int = 3,
                 mid_channels: int = 64,
                 num_blocks: int = 16,
                 upscale_factor: int = 4,
                 offset_type: str = 'squared',
                 attention: str = 'cpa',
                 cpa_mode: str = 'gram',
                 pack_size: int = 8,
                 attention_impl: str = 'explicit',
                 flip_ref: bool = True,
                 dcn_backend: str = 'mmcv',
                 offset_init: str = 'kaiming',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if upscale_factor not in (4, 8):
            raise ValueError(f'upscale_factor must be 4 or 8, got {upscale_factor!r}')
        for name, value in (('in_channels', in_channels), ('out_channels', out_channels),
                            ('mid_channels', mid_channels)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be an int >= 1, got {value!r}')
        if not isinstance(num_blocks, int) or num_blocks < 0:
            raise ValueError(f'num_blocks must be an int >= 0, got {num_blocks!r}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.upscale_factor = upscale_factor
        self.conv_first = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 3, padding=1), nn.ReLU(True))
        self.align = SquaredDeformableAlignment(
            mid_channels, out_channels, offset_type, attention, cpa_mode, pack_size,
            attention_impl, flip_ref, dcn_backend, offset_init)
        self.body = make_layer(ResidualBlockNoBN, num_blocks, mid_channels=mid_channels)
        self.conv_after_body = nn.Conv2d(mid_channels, mid_channels, 3, padding=1)
        self.upsample = nn.Sequential(*[
            m for _ in range(upscale_factor.bit_length() - 1)
            for m in (PixelShufflePack(mid_channels, mid_channels, 2, 3), nn.ReLU(True))
        ])
        self.conv_last = nn.Conv2d(mid_channels, out_channels, 3, padding=1)

    def forward(self, x: Tensor, ref: Tensor) -> SDANOutput:
        """Zoom ``x`` while aligning its features to ``ref``.

        Args:
            x (Tensor): (N, in_channels, h, w) low-resolution input X.
            ref (Tensor): (N, out_channels, h, w) reference Y' on the same grid: the HR target
                downsampled during training, an image made from X at inference.

        Returns:
            SDANOutput: output (N, out_channels, s*h, s*w), aligned_lr (N, out_channels, h, w),
            mask_lr (N, 1, h, w), mask_hr (N, 1, s*h, s*w), offset.
        """
        if x.dim() != 4 or x.size(1) != self.in_channels:
            raise ValueError(f'SDANNet expects x of shape (N, {self.in_channels}, h, w), got '
                             f'{tuple(x.shape)}')
        if ref.dim() != 4 or ref.size(1) != self.out_channels:
            raise ValueError(f'SDANNet expects ref of shape (N, {self.out_channels}, h, w), got '
                             f'{tuple(ref.shape)}')
        if ref.shape[0] != x.shape[0] or ref.shape[-2:] != x.shape[-2:]:
            raise ValueError(f'ref must have the batch size and spatial size of x (resize the '
                             f'reference to the input grid): x {tuple(x.shape)}, ref '
                             f'{tuple(ref.shape)}')
        feat = self.conv_first(x)
        aligned, aligned_lr, mask_lr, offset = self.align(feat, ref)
        feat = aligned + self.conv_after_body(self.body(aligned))
        output = self.conv_last(self.upsample(feat))
        mask_hr = F.interpolate(mask_lr, size=output.shape[-2:], mode='nearest')
        return SDANOutput(output, aligned_lr, mask_lr, mask_hr, offset)

"""Deformable convolutions of SDAN (Mei et al., ICME 2021, Sec. 3.2, Eqs. 4-5, Table 2).

:class:`SquaredDeformConv2d` is the "SDCN": one (dy, dx) offset per output pixel moves its whole
k x k window rigidly. :class:`PerPointDeformConv2d` is the vanilla DCNv1 of the Table 2 row "DCN":
one (dy, dx) per tap. Both own their ``weight`` and ``bias``, so a checkpoint loads into every
backend.

Why the 'fast' backend is exact: DCNv1 samples the zero-extended input bilinearly at
``p + p_t + offset`` for every tap ``p_t``. Bilinear interpolation and the convolution are both
linear and the bilinear weights depend only on the fractional part of the position, which a rigid
offset shares between all taps. Hence the DCN output at ``p`` equals the *dense* convolution of the
zero-extended input, interpolated bilinearly at ``p + offset``. The dense convolution is evaluated
on every position where it can be non-zero (the image enlarged by ``k - 1`` rows and columns), so
windows moved partly or wholly outside the image read the right values, and zeros beyond.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
import torchvision.ops
from mmcv.ops import deform_conv2d as mmcv_deform_conv2d
from torch import Tensor, nn

# mmcv's kernel processes the batch in chunks of im2col_step samples and requires the batch to be a
# multiple of the chunk; 32 is the default of mmcv's own DeformConv2d.
_MAX_IM2COL_STEP = 32


def _im2col_step(batch: int) -> int:
    return max(d for d in range(1, min(batch, _MAX_IM2COL_STEP) + 1) if batch % d == 0)


class PerPointDeformConv2d(nn.Module):
    """Vanilla deformable convolution (DCNv1: one offset group, no modulation), SDAN Table 2 "DCN".

    Every tap of every window has its own offset. Bias is added after the deformable sum.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Square kernel size k. Default: 3.
        stride (int): Stride. Default: 1.
        padding (int): Zero padding on each side. Default: 1.
        bias (bool): Learn an additive bias. Default: True.
        backend (str): ``'mmcv'`` (``mmcv.ops.deform_conv2d``) or ``'torchvision'``
            (``torchvision.ops.deform_conv2d``). Default: ``'mmcv'``.

    Shapes:
        x: (N, in_channels, H, W)
        offset: (N, 2*k*k, H_out, W_out), (dy, dx) interleaved per tap in row-major tap order
        output: (N, out_channels, H_out, W_out), H_out = (H + 2*padding - k) // stride + 1
    """

    backends: Tuple[str, ...] = ('mmcv', 'torchvision')

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 padding: int = 1,
                 bias: bool = True,
                 backend: str = 'mmcv') -> None:
        super().__init__()
        if backend not in self.backends:
            raise ValueError(f'{type(self).__name__} backend must be one of {self.backends}, '
                             f'got {backend!r}')
        for name, value, low in (('in_channels', in_channels, 1), ('out_channels', out_channels, 1),
                                 ('kernel_size', kernel_size, 1), ('stride', stride, 1),
                                 ('padding', padding, 0)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f'{name} must be an int >= {low}, got {value!r}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.backend = backend
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    @property
    def offset_channels(self) -> int:
        """Channels of the offset tensor that :meth:`forward` expects."""
        return 2 * self.kernel_size * self.kernel_size

    def reset_parameters(self) -> None:
        # nn.Conv2d's initialisation (torchvision's DeformConv2d uses it too), so the alignment
        # layer starts like the convolutions around it.
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size * self.kernel_size
            bound = fan_in**-0.5
            nn.init.uniform_(self.bias, -bound, bound)

    def output_size(self, height: int, width: int) -> Tuple[int, int]:
        """Spatial size of the output (and of the offset field) for an input of this size."""
        k, s, p = self.kernel_size, self.stride, self.padding
        return (height + 2 * p - k) // s + 1, (width + 2 * p - k) // s + 1

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, '
                f'stride={self.stride}, padding={self.padding}, bias={self.bias is not None}, '
                f'backend={self.backend!r}')

    def _check_inputs(self, x: Tensor, offset: Tensor) -> None:
        name = type(self).__name__
        if x.dim() != 4 or x.size(1) != self.in_channels:
            raise ValueError(f'{name} expects x of shape (N, {self.in_channels}, H, W), '
                             f'got {tuple(x.shape)}')
        out_h, out_w = self.output_size(x.size(2), x.size(3))
        if out_h < 1 or out_w < 1:
            raise ValueError(f'{name}: input {tuple(x.shape[-2:])} is smaller than the '
                             f'{self.kernel_size}x{self.kernel_size} kernel with padding '
                             f'{self.padding}')
        expected = (x.size(0), self.offset_channels, out_h, out_w)
        if tuple(offset.shape) != expected:
            raise ValueError(f'{name} expects offset of shape (N, {self.offset_channels}, H_out, '
                             f'W_out) = {expected} for x of shape {tuple(x.shape)}, got '
                             f'{tuple(offset.shape)}')

    def _expand_offset(self, offset: Tensor) -> Tensor:
        """The per-tap (N, 2*k*k, H_out, W_out) offset field of a DCNv1."""
        return offset

    def _deform_conv(self, x: Tensor, offset: Tensor) -> Tensor:
        if self.backend == 'torchvision':
            return torchvision.ops.deform_conv2d(
                x, offset, self.weight, self.bias, stride=(self.stride, self.stride),
                padding=(self.padding, self.padding))
        # mmcv's kernels reject non-contiguous (e.g. channels_last) tensors and refuse a bias, which
        # is therefore added afterwards; same result.
        out = mmcv_deform_conv2d(x.contiguous(), offset.contiguous(), self.weight.contiguous(),
                                 self.stride, self.padding, 1, 1, 1, False,
                                 _im2col_step(x.size(0)))
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1).to(out.dtype)
        return out

    def forward(self, x: Tensor, offset: Tensor) -> Tensor:
        """Deformable convolution of ``x`` with the sampling grid moved by ``offset``.

        Args:
            x (Tensor): (N, in_channels, H, W).
            offset (Tensor): (N, offset_channels, H_out, W_out), (dy, dx) order.

        Returns:
            Tensor: (N, out_channels, H_out, W_out).
        """
        self._check_inputs(x, offset)
        return self._deform_conv(x, self._expand_offset(offset))


class SquaredDeformConv2d(PerPointDeformConv2d):
    """Squared deformable convolution (SDCN), SDAN Sec. 3.2, Eq. (5) with one offset per window.

    A (N, 2, H_out, W_out) offset field moves each k x k window rigidly by the (dy, dx) of its
    output pixel; equivalent to a DCNv1 fed that offset repeated over the k*k taps.

    Backends (identical parameters and state_dict, results equal up to float rounding):

    - ``'mmcv'``: ``mmcv.ops.deform_conv2d`` (DCNv1) with the repeated offsets.
    - ``'torchvision'``: ``torchvision.ops.deform_conv2d`` with the repeated offsets.
    - ``'fast'``: a dense convolution of the zero-extended input followed by one bilinear
      ``grid_sample`` at ``p + offset`` (module docstring: why this is exact). Stride 1 only.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Square kernel size k. Default: 3.
        stride (int): Stride; must be 1 for ``'fast'``. Default: 1.
        padding (int): Zero padding on each side. Default: 1.
        bias (bool): Learn an additive bias. Default: True.
        backend (str): ``'mmcv'``, ``'fast'`` or ``'torchvision'``. Default: ``'mmcv'``.

    Shapes:
        x: (N, in_channels, H, W)
        offset: (N, 2, H_out, W_out) as (dy, dx) in input pixels
        output: (N, out_channels, H_out, W_out), H_out = (H + 2*padding - k) // stride + 1
    """

    backends: Tuple[str, ...] = ('mmcv', 'fast', 'torchvision')

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 padding: int = 1,
                 bias: bool = True,
                 backend: str = 'mmcv') -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, bias, backend)
        if backend == 'fast' and stride != 1:
            raise ValueError(f"SquaredDeformConv2d backend 'fast' supports only stride 1, got "
                             f"stride={stride}; use backend='mmcv' for strided convolutions")

    @property
    def offset_channels(self) -> int:
        return 2

    def _expand_offset(self, offset: Tensor) -> Tensor:
        # DCNv1 offsets are (dy, dx) per tap, taps consecutive: repeating the pair k*k times gives
        # every tap the same displacement.
        return offset.repeat(1, self.kernel_size * self.kernel_size, 1, 1)

    def _fast(self, x: Tensor, offset: Tensor) -> Tensor:
        k = self.kernel_size
        # z[i] = sum_t w_t * x_ext[i - (k - 1) + t]: every position where the dense convolution of
        # the zero-extended input is non-zero; zero elsewhere, which grid_sample's zero padding
        # reproduces.
        dense = F.conv2d(x, self.weight, padding=k - 1)
        z_h, z_w = dense.shape[-2:]
        # Window of output pixel j starts at input row j - padding, i.e. at index
        # j - padding + (k - 1) of ``dense``.
        shift = k - 1 - self.padding
        # Sampling positions need float32 at least: in float16 a position near 200 px is off by
        # up to 1/16 px.
        dtype = torch.promote_types(torch.promote_types(offset.dtype, dense.dtype), torch.float32)
        out_h, out_w = offset.shape[-2:]
        rows = torch.arange(out_h, device=offset.device, dtype=dtype) + shift
        cols = torch.arange(out_w, device=offset.device, dtype=dtype) + shift
        # align_corners=False maps index i to (2i + 1) / size - 1; unlike align_corners=True it
        # stays defined for a size-1 axis. grid_sample wants (x, y) order, offsets are (dy, dx).
        gx = (offset[:, 1].to(dtype) + cols) * (2.0 / z_w) + (1.0 / z_w - 1.0)
        gy = (offset[:, 0].to(dtype) + rows[:, None]) * (2.0 / z_h) + (1.0 / z_h - 1.0)
        grid = torch.stack((gx, gy), dim=-1)
        out = F.grid_sample(dense.to(dtype), grid, mode='bilinear', padding_mode='zeros',
                            align_corners=False)
        if self.bias is not None:
            # After sampling: a bias added to ``dense`` would fade near the border with it.
            out = out + self.bias.view(1, -1, 1, 1).to(out.dtype)
        return out

    def forward(self, x: Tensor, offset: Tensor) -> Tensor:
        """Convolve ``x`` with every k x k window translated by its pixel's ``offset``.

        Args:
            x (Tensor): (N, in_channels, H, W).
            offset (Tensor): (N, 2, H_out, W_out), (dy, dx) in input pixels.

        Returns:
            Tensor: (N, out_channels, H_out, W_out).
        """
        self._check_inputs(x, offset)
        if self.backend == 'fast':
            return self._fast(x, offset)
        return self._deform_conv(x, self._expand_offset(offset))

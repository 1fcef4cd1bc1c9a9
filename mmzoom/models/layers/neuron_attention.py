"""Neuron attention and the residual neuron attention block of RNAN (Ai et al., ICIP 2020, Sec. 2.2.1)."""
import torch
import torch.nn.functional as F
from torch import nn


def pointwise_conv(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """``conv(x)`` for a 1x1 ``conv``, computed as one matrix product when ``x`` is channels-last.

    PyTorch sends 1x1 convolutions of small batches to a single-threaded path that also copies
    NHWC inputs to NCHW and back; on an NHWC tensor the same map is a plain ``linear`` over the
    channel axis, with no copies. Same result up to float rounding.

    Shapes:
        x: (N, C_in, H, W) -> (N, C_out, H, W), in the memory format of ``x``
    """
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) \
            and not x.is_contiguous():
        out = F.linear(x.permute(0, 2, 3, 1), conv.weight.flatten(1), conv.bias)
        return out.permute(0, 3, 1, 2)
    return conv(x)


class NeuronAttention(nn.Module):
    """Neuron attention, Eq. (7): ``Y = X * sigmoid(PW(ReLU(DW(X))))``.

    A depthwise conv gathers spatial context per channel, a pointwise conv mixes channels at each
    position; the sigmoid gate re-weights every neuron (channel and position) of the input.

    Args:
        channels (int): C, input and output channels.
        kernel_size (int): Depthwise kernel size (the paper does not state it; 3 matches its
            reported parameter count). Default: 3.

    Shapes:
        x: (N, C, H, W) -> (N, C, H, W)
    """

    def __init__(self, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'kernel_size must be odd to keep the size, got {kernel_size}')
        self.depthwise = nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2,
                                   groups=channels)
        self.pointwise = nn.Conv2d(channels, channels, 1)

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """The attention map ``sigmoid(PW(ReLU(DW(X))))``, (N, C, H, W) in (0, 1)."""
        # In-place ReLU and sigmoid act on fresh intermediates that autograd does not keep.
        return pointwise_conv(torch.relu_(self.depthwise(x)), self.pointwise).sigmoid_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class RNABlock(nn.Module):
    """Residual neuron attention block, Eq. (6): ``F + NA(RB(F))``, RB = conv-ReLU-conv.

    Args:
        channels (int): C. na_kernel_size (int): depthwise kernel of the attention. Default: 3.

    Shapes:
        x: (N, C, H, W) -> (N, C, H, W)
    """

    def __init__(self, channels: int, na_kernel_size: int = 3) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.attention = NeuronAttention(channels, na_kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rb = self.conv2(torch.relu_(self.conv1(x)))
        # F + NA(RB(F)) = F + RB(F) * gate in one fused multiply-add.
        return torch.addcmul(x, rb, self.attention.gate(rb))

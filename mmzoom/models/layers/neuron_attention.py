"""Neuron attention and the residual neuron attention block of RNAN (Ai et al., ICIP 2020, Sec. 2.2.1)."""
import torch
from torch import nn


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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.pointwise(torch.relu(self.depthwise(x))))


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
        return x + self.attention(self.conv2(torch.relu(self.conv1(x))))

"""Bicubic interpolation as a parameter-free SR "network" (SDAN Table 1, row "Bicubic")."""
from torch import Tensor, nn
from torch.nn import functional as F

from mmagic.registry import MODELS


@MODELS.register_module()
class BicubicUpsampler(nn.Module):
    """Upsample an image by bicubic interpolation: the "Bicubic" row of SDAN's Table 1.

    PyTorch's ``F.interpolate(mode='bicubic', align_corners=False)``: the cubic convolution
    kernel with a = -0.75 on pixel centres, borders replicated, as OpenCV's ``INTER_CUBIC``
    (MATLAB's ``imresize`` uses a = -0.5). It has no parameters, so it is evaluated without a
    checkpoint (``tools/test.py CONFIG none``) and trains nothing. The output is not clamped:
    the editor's data preprocessor clamps predictions to 0..255.

    Args:
        upscale_factor (int): zoom factor s. Default: 4.
        in_channels (int): channels of the input, kept in the output (3 for the RGB rows;
            a Bayer mosaic is not an image to interpolate). Default: 3.

    Shapes:
        x: (N, C, H, W) -> (N, C, s*H, s*W)
    """

    def __init__(self, upscale_factor: int = 4, in_channels: int = 3) -> None:
        super().__init__()
        if not isinstance(upscale_factor, int) or upscale_factor < 1:
            raise ValueError(f'upscale_factor must be an int >= 1, got {upscale_factor!r}')
        if in_channels < 1:
            raise ValueError(f'in_channels must be >= 1, got {in_channels}')
        self.upscale_factor = upscale_factor
        self.in_channels = in_channels

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'expected an (N, {self.in_channels}, H, W) input, got '
                             f'{tuple(x.shape)}')
        return F.interpolate(x, scale_factor=self.upscale_factor, mode='bicubic',
                             align_corners=False)

    def extra_repr(self) -> str:
        return f'upscale_factor={self.upscale_factor}, in_channels={self.in_channels}'

"""MMagic's MSRResNet for a 1-channel Bayer mosaic input (the RAW rows of SDAN's Table 1)."""
from typing import Optional

from torch import Tensor, nn

from mmagic.models.editors.srgan.sr_resnet import MSRResNet
from mmagic.registry import MODELS

from ..layers.demosaic import BilinearDemosaic

RESIDUALS = ('gamma', 'linear', None)


class MosaicResidual(nn.Module):
    """The image MSRResNet adds to its output, made from a mosaic: bilinear demosaic (RGGB),
    optionally ``** (1 / gamma)`` (0..1 clamped first), then bilinear upsampling; or nothing.

    Shapes:
        x: (N, 1, H, W), H and W even -> (N, 3, s*H, s*W), or a 0-d zero for ``mode=None``.
    """

    def __init__(self, upscale_factor: int, mode: Optional[str] = 'gamma',
                 gamma: float = 2.2) -> None:
        super().__init__()
        self.mode = mode
        self.gamma = gamma
        self.demosaic = BilinearDemosaic()  # buffers only, not in the state_dict
        self.upsample = nn.Upsample(scale_factor=upscale_factor, mode='bilinear',
                                    align_corners=False)

    def forward(self, x: Tensor) -> Tensor:
        if self.mode is None:
            return x.new_zeros(())
        rgb = self.demosaic.gamma_encoded(x, self.gamma) if self.mode == 'gamma' else \
            self.demosaic(x)
        return self.upsample(rgb)

    def extra_repr(self) -> str:
        return f'mode={self.mode!r}' + (f', gamma={self.gamma}' if self.mode == 'gamma' else '')


@MODELS.register_module()
class MosaicMSRResNet(MSRResNet):
    """MMagic's ``MSRResNet`` (modified SRResNet, Ledig et al. 2017) on a Bayer mosaic: the
    SRResNet of SDAN Table 1's RAW rows ("SRResNet+CX RAW", "Perceptual RAW").

    MSRResNet adds the bilinearly upsampled input to its output. With a 1-channel mosaic input
    and a 3-channel output that addition still runs (``out += upsampled_img`` broadcasts the
    (N, 1, sH, sW) mosaic into all three channels), but what it adds is an interpolated Bayer
    mosaic, the same grey-level checkerboard of R, G and B samples in every colour: the
    network must first learn to cancel it. Here the residual is an image instead: the mosaic
    (canonical RGGB, as mmzoom's RAW pipeline delivers it) demosaiced bilinearly, by default
    brought to the target's tone with ``** (1 / 2.2)`` (the camera JPG target is gamma-encoded,
    the mosaic linear; no colour matrix), then upsampled bilinearly as MSRResNet does.
    Everything else, the module names and so the checkpoint keys are MSRResNet's
    (``in_channels=1``): the residual holds no parameters.

    Args:
        in_channels (int): must be 1 (a mosaic). Default: 1.
        out_channels (int): output channels. Default: 3.
        mid_channels (int): features. Default: 64.
        num_blocks (int): residual blocks. Default: 16.
        upscale_factor (int): 2, 3 or 4, of the mosaic grid (SDAN's RAW 4x rows: 4). Default: 4.
        residual (str, optional): ``'gamma'`` (default), ``'linear'`` (the demosaic as is) or
            None (no residual image).
        residual_gamma (float): the gamma of ``'gamma'``. Default: 2.2.

    Shapes:
        x: (N, 1, H, W), H and W even, RGGB phase, 0..1 -> (N, 3, s*H, s*W).
        Tiles must start on even rows and columns (``SISREditModel``'s do when the tile size and
        overlap are even).
    """

    def __init__(self, in_channels: int = 1, out_channels: int = 3, mid_channels: int = 64,
                 num_blocks: int = 16, upscale_factor: int = 4,
                 residual: Optional[str] = 'gamma', residual_gamma: float = 2.2) -> None:
        if in_channels != 1:
            raise ValueError(f'MosaicMSRResNet takes a 1-channel Bayer mosaic, got '
                             f'in_channels={in_channels}; use MSRResNet for images')
        if out_channels != 3 and residual is not None:
            raise ValueError(f'a demosaiced residual has 3 channels, got out_channels='
                             f'{out_channels}; set residual=None')
        if residual not in RESIDUALS:
            raise ValueError(f'residual must be one of {RESIDUALS}, got {residual!r}')
        if residual_gamma <= 0:
            raise ValueError(f'residual_gamma must be > 0, got {residual_gamma}')
        super().__init__(in_channels, out_channels, mid_channels, num_blocks, upscale_factor)
        self.img_upsampler = MosaicResidual(upscale_factor, residual, residual_gamma)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] % 2 or x.shape[3] % 2:
            raise ValueError(f'expected an (N, 1, even H, even W) mosaic, got {tuple(x.shape)}')
        return super().forward(x)

"""Bilinear demosaicing of an RGGB mosaic, on the mosaic grid (used for SDAN's self-reference)."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class BilinearDemosaic(nn.Module):
    """Interpolate the missing colours of an RGGB Bayer mosaic bilinearly.

    mmzoom's RAW pipeline always delivers the canonical RGGB phase, so the pattern is fixed.

    Shapes:
        mosaic: (N, 1, H, W), H and W even -> (N, 3, H, W)
    """

    def __init__(self) -> None:
        super().__init__()
        masks = torch.zeros(3, 1, 2, 2)
        masks[0, 0, 0, 0] = 1  # R
        masks[1, 0, 0, 1] = masks[1, 0, 1, 0] = 1  # G
        masks[2, 0, 1, 1] = 1  # B
        rb = torch.tensor([[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]]) / 4
        g = torch.tensor([[0., 1., 0.], [1., 4., 1.], [0., 1., 0.]]) / 4
        self.register_buffer('tile_masks', masks, persistent=False)
        self.register_buffer('kernels', torch.stack([rb, g, rb]).unsqueeze(1), persistent=False)

    def forward(self, mosaic: Tensor) -> Tensor:
        n, c, h, w = mosaic.shape
        if c != 1 or h % 2 or w % 2:
            raise ValueError(f'expected an (N, 1, even H, even W) mosaic, got {tuple(mosaic.shape)}')
        masks = self.tile_masks.repeat(1, 1, h // 2, w // 2).to(mosaic.dtype)
        sparse = mosaic * masks.transpose(0, 1)  # (N, 3, H, W): each colour at its sites only
        # Normalising by the interpolated mask keeps borders (where neighbours are missing) exact.
        num = F.conv2d(sparse, self.kernels.to(mosaic.dtype), padding=1, groups=3)
        den = F.conv2d(masks.transpose(0, 1).expand(1, 3, h, w), self.kernels.to(mosaic.dtype),
                       padding=1, groups=3)
        return num / den

    def gamma_encoded(self, mosaic: Tensor, gamma: float = 2.2) -> Tensor:
        """The demosaic clipped to [0, 1] and raised to ``1 / gamma``: a linear mosaic brought
        near a gamma-encoded image without any colour processing (SDAN's ``self_ref='gamma'``,
        MosaicMSRResNet's residual)."""
        return self(mosaic).clamp(0, 1).pow(1.0 / gamma)

"""A RAW mosaic rendered like a camera JPG, on the mosaic grid: SDAN's self reference
``self_ref='render'`` (the reference Y' of training is a camera JPG)."""
import torch
from torch import Tensor, nn

from .demosaic import BilinearDemosaic


def srgb_encode(linear: Tensor) -> Tensor:
    """The sRGB transfer curve (IEC 61966-2-1) of linear values in [0, 1]."""
    return torch.where(linear <= 0.0031308, 12.92 * linear,
                       1.055 * linear.clamp(min=0.0031308).pow(1 / 2.4) - 0.055)


class CameraRender(nn.Module):
    """Render a normalised RGGB mosaic into sRGB the way LibRaw's ``postprocess`` does, then
    remove the white balance as the training reference Y' has it removed.

    LibRaw's order (``use_camera_wb=True``, bilinear demosaic, sRGB output, no auto-brightening):
    the as-shot multipliers per CFA site (smallest 1) and a clip to [0, 1] (a saturated site
    stays white), the bilinear demosaic, the camera matrix ``rgb_cam`` (white-balanced camera
    RGB -> linear sRGB), a clip to [0, 1], the sRGB curve. Then each channel is divided by
    ``g ** (1 / 2.2)`` with the shot's ``wb.txt`` gains g (``wb_factors``), the removal
    :class:`~mmzoom.datasets.transforms.RemoveWhiteBalance` applies to Y'. Every step is per
    pixel or a 3x3 neighbourhood, so a tile rendered with a 2-pixel margin equals the whole
    frame's render there (the tiled inference relies on it). The white point is the file's white
    level (LibRaw's ``adjust_maximum_thr``, which moves it to the frame's brightest value, would
    make a tile depend on the whole frame). On a DNG with its own colour matrix and clipped
    highlights it matches rawpy's ``postprocess`` (linear demosaic, gamma (2.4, 12.92),
    ``adjust_maximum_thr=0``) within 1e-3 of full scale away from the frame border
    (tests/test_models/test_layers/test_camera_render.py).

    Shapes:
        mosaic: (N, 1, H, W) RGGB, 0..1 (not clipped); rgb_cam: (N, 3, 3); camera_wb: (N, 3);
        wb_factors: (N, 3) -> (N, 3, H, W) in [0, 1].
    """

    def __init__(self) -> None:
        super().__init__()
        self.demosaic = BilinearDemosaic()

    def forward(self, mosaic: Tensor, rgb_cam: Tensor, camera_wb: Tensor,
                wb_factors: Tensor) -> Tensor:
        n, _, h, w = mosaic.shape
        r, g, b = camera_wb.to(mosaic).unbind(1)
        site_wb = torch.stack([r, g, g, b], 1).view(n, 1, 2, 2).repeat(1, 1, h // 2, w // 2)
        rgb = self.demosaic((mosaic * site_wb).clamp(0, 1))
        rgb = torch.einsum('nij,njhw->nihw', rgb_cam.to(mosaic), rgb).clamp(0, 1)
        return (srgb_encode(rgb) / wb_factors.to(mosaic).view(n, 3, 1, 1)).clamp(0, 1)

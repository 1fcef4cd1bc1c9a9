from .rnan_net import RNANNet

__all__ = ['RNANNet']
from .sdan_net import SDANNet, SDANOutput  # noqa: E402

__all__ += ['SDANNet', 'SDANOutput']
from .bicubic import BicubicUpsampler  # noqa: E402
from .mosaic_msrresnet import MosaicMSRResNet  # noqa: E402

__all__ += ['BicubicUpsampler', 'MosaicMSRResNet']

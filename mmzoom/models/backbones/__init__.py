from .rnan_net import RNANNet

__all__ = ['RNANNet']
from .sdan_net import SDANNet, SDANOutput  # noqa: E402

__all__ += ['SDANNet', 'SDANOutput']

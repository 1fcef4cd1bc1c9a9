from .lpips import LPIPS, backbone_weights_file, build_lpips_net
from .srraw_metrics import SRRawLPIPS, SRRawProtocol, SRRawPSNR, SRRawSSIM

__all__ = ['LPIPS', 'backbone_weights_file', 'build_lpips_net', 'SRRawLPIPS', 'SRRawProtocol',
           'SRRawPSNR', 'SRRawSSIM']

from .rnan_net import RNANNet

__all__ = ['RNANNet']

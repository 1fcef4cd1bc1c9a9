from .neuron_attention import NeuronAttention, RNABlock

__all__ = ['NeuronAttention', 'RNABlock']
from .cross_packing_attention import CrossPackingAttention, gram_channel_attention  # noqa: E402
from .squared_dcn import PerPointDeformConv2d, SquaredDeformConv2d  # noqa: E402

__all__ += ['CrossPackingAttention', 'gram_channel_attention', 'PerPointDeformConv2d',
            'SquaredDeformConv2d']

from .neuron_attention import NeuronAttention, RNABlock

__all__ = ['NeuronAttention', 'RNABlock']

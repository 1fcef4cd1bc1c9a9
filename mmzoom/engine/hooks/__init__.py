from .alignment_vis_hook import AlignmentVisHook

__all__ = ['AlignmentVisHook']

"""MMEngine runtime parts of mmzoom (hooks), registered in MMagic's registries."""
from .hooks import AlignmentVisHook

__all__ = ['AlignmentVisHook']

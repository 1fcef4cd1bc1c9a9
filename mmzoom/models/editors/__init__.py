from .sisr_edit_model import SISREditModel

__all__ = ['SISREditModel']

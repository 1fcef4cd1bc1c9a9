from .sisr_edit_model import SISREditModel

__all__ = ['SISREditModel']
from .sdan import SDAN  # noqa: E402

__all__ += ['SDAN']

from .sisr_edit_model import SISREditModel

__all__ = ['SISREditModel']
from .sdan import SDAN, ReferenceUnavailable  # noqa: E402

__all__ += ['SDAN', 'ReferenceUnavailable']

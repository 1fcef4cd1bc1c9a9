from .sisr_edit_model import SISREditModel, TiledESRGAN, TiledSRGAN

__all__ = ['SISREditModel', 'TiledSRGAN', 'TiledESRGAN']
from .sdan import SDAN, ReferenceUnavailable  # noqa: E402

__all__ += ['SDAN', 'ReferenceUnavailable']

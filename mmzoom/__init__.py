"""mmzoom: learned optical zoom (SDAN) and single-image SR (RNAN) for MMagic.

Importing this package registers its models, datasets, transforms and metrics in MMagic's
registries; configs load it with ``custom_imports = dict(imports=['mmzoom'])``.
"""
from .utils.compat import (patch_numpy_for_mmagic, quiet_mmengine_logs,
                           silence_pkg_resources_warning, silence_third_party_warnings)

patch_numpy_for_mmagic()  # before any mmagic import below
silence_pkg_resources_warning()
silence_third_party_warnings()
quiet_mmengine_logs()

from .utils.checkpoint import register_safe_globals  # noqa: E402

register_safe_globals()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__, version_info  # noqa: E402

__all__ = ['__version__', 'version_info']

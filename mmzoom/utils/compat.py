"""Run-time fixes that let MMagic 1.2.0 and MMEngine 0.10.7 work on the pinned stack.

Each fix is applied once, by ``import mmzoom``, before anything imports mmagic.
"""
import warnings

import numpy as np


def patch_numpy_for_mmagic() -> None:
    """Give numpy 2 the aliases MMagic 1.2.0 uses at module level.

    ``mmagic/utils/trans_utils.py`` evaluates ``np.bool8`` at import time; numpy 2 removed that
    alias of ``np.bool_``, so without it ``import mmagic.utils`` (and everything above it) fails.
    """
    if not hasattr(np, 'bool8'):
        np.bool8 = np.bool_


def silence_pkg_resources_warning() -> None:
    """Hide setuptools' "pkg_resources is deprecated" warning.

    MMEngine resolves ``mmagic::`` base configs (and openmim its package data) through
    ``pkg_resources``; mmzoom pins ``setuptools<82`` on purpose so that it still exists, and the
    warning, printed on the first lookup, would otherwise precede every tool's output and error.
    """
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)

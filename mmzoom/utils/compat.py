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


#: Third-party warnings printed on every run that tell a user of mmzoom nothing they can act on:
#: (category, module where the warning is raised, start of its message).
_THIRD_PARTY_NOISE = (
    # diffusers 0.24 (imported by mmagic.models) uses a torch API renamed in torch 2.2.
    (FutureWarning, r'diffusers\.utils\.outputs', '`torch.utils._pytree._register_pytree_node`'),
    # controlnet_aux (imported by mmagic.apis) registers timm models under taken names, imports
    # timm's old module paths and mentions mediapipe, which no MMagic SR path uses.
    (UserWarning, r'controlnet_aux\.segment_anything\.modeling\.tiny_vit_sam', 'Overwriting'),
    (UserWarning, r'controlnet_aux\.mediapipe_face', "The module 'mediapipe' is not installed"),
    (FutureWarning, r'timm\.models\.(registry|layers)', 'Importing from timm.models'),
)


def silence_third_party_warnings() -> None:
    """Hide the specific third-party import-time warnings listed in ``_THIRD_PARTY_NOISE``.

    Each filter names the category, the module and the message, so any other warning of those
    packages (and every warning of mmzoom, MMEngine and MMagic) still shows.
    """
    import re
    for category, module, message in _THIRD_PARTY_NOISE:
        warnings.filterwarnings('ignore', message=re.escape(message), category=category,
                                module=module)

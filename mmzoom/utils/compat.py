"""Run-time fixes that let MMagic 1.2.0 and MMEngine 0.10.7 work on the pinned stack.

Each fix is applied once, by ``import mmzoom``, before anything imports mmagic.
"""
import re
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


#: MMEngine/MMagic log records (logger messages, not Python warnings) that every mmzoom run would
#: print and that tell a user nothing they can act on: a regular expression matching the start of
#: each message, and why.
MMENGINE_LOG_NOISE = tuple(re.compile(pattern) for pattern in (
    # MMEngine's own hooks still call the deprecated file API.
    r'"FileClient" will be deprecated in future',
    r'"HardDiskBackend" is the alias of "LocalBackend"',
    # MMagic's data preprocessor on a 1-channel RAW mosaic: there is no channel order to convert.
    r"Cannot convert inputs with 'single' channel order",
    # MMagic's inferencer on an input without ground truth, which is what inference is.
    r"Cannot find key 'gt_img' in data sample",
    # MMagic's inferencer builds its collate function outside the mmagic scope; the fallback works.
    r'Failed to search registry with scope "mmagic" in the "function" registry tree',
    # MMEngine reads every string of a dataset's metainfo (MMagic's 'div2k', 'sisr', ...) as a
    # possible file name first.
    r'\S+ is not a meta file, simply parsed as meta information$',
))


class _DropLogNoise:
    """logging filter dropping the records listed in :data:`MMENGINE_LOG_NOISE`."""

    def filter(self, record) -> bool:
        message = record.getMessage()
        return not any(noise.match(message) for noise in MMENGINE_LOG_NOISE)


_LOG_FILTER = _DropLogNoise()


def quiet_mmengine_logs() -> None:
    """Attach :class:`_DropLogNoise` to every MMEngine logger (the ones that exist and those
    created later: the Runner makes its own), and hide the visualizer's warning about a backend
    without ``save_dir``, which MMagic's inferencer triggers on every call. Other MMEngine
    messages, warnings included, still show."""
    from mmengine.logging import MMLogger

    warnings.filterwarnings('ignore', message='Failed to add <class', category=UserWarning,
                            module=r'mmengine\.visualization\.visualizer')
    if not getattr(MMLogger, '_mmzoom_quiet', False):
        original = MMLogger.__init__

        def __init__(self, *args, **kwargs):
            original(self, *args, **kwargs)
            self.addFilter(_LOG_FILTER)

        MMLogger.__init__ = __init__
        MMLogger._mmzoom_quiet = True
    for logger in list(MMLogger._instance_dict.values()):
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)

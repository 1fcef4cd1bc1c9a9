"""Checkpoint loading that stays weights-only on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True``: only tensors, containers and allow-listed classes may
be unpickled. MMEngine 0.10.x Runner checkpoints also hold the message hub's ``HistoryBuffer``
objects and the numpy arrays/scalars inside them, so resume, ``load_from`` and ``tools/test.py``
fail with "Weights only load failed". Rather than switching weights-only off (which would let any
checkpoint run code on load), :func:`register_safe_globals` allow-lists exactly the classes an
MMEngine checkpoint contains. A checkpoint holding anything else still fails, and
:func:`explain_load_error` turns that failure into one readable line.
"""
import os
import os.path as osp
import pickle
from typing import Optional

import numpy as np
import torch


def _numpy_globals() -> list:
    # numpy arrays and scalars pickle as _reconstruct/scalar plus their dtype classes; numpy 2 names
    # the module numpy._core, numpy 1 numpy.core.
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    found = [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
    return found


def _history_buffer_method(owner: type, name: str):
    """Stand-in for ``getattr`` while unpickling: resolves only HistoryBuffer statistics methods.

    A HistoryBuffer pickles its statistics table as ``getattr(HistoryBuffer, 'mean')`` etc.
    Allow-listing the real ``getattr`` would let a crafted file walk from any allowed object to
    ``__globals__`` and run code; this resolves nothing but the methods registered on the class.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if owner is HistoryBuffer and name in HistoryBuffer._statistics_methods:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({getattr(owner, "__name__", type(owner).__name__)}, {name!r}) in a '
        'weights-only checkpoint')


def register_safe_globals() -> None:
    """Allow-list the non-tensor classes that MMEngine Runner checkpoints contain."""
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # torch < 2.4 loads everything anyway
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer()  # registers the default statistics methods on the class
    # bytes: numpy pickles empty arrays' buffers as bytes(); constructing bytes runs no code.
    add([HistoryBuffer, bytes, (_history_buffer_method, 'builtins.getattr')] +
        _numpy_globals())


def explain_load_error(path: str, err: BaseException) -> str:
    """A one-line message for a checkpoint that weights-only loading refused."""
    reason = str(err).strip().splitlines()
    detail = next((line for line in reason if 'GLOBAL' in line or 'Unsupported' in line),
                  reason[0] if reason else type(err).__name__)
    return (f'{path}: refused by weights-only loading ({detail.strip()}). The file contains '
            'objects other than tensors and MMEngine state; load it only if you trust its '
            'origin, with tools/model_converters/publish_model.py --trust, which strips it to weights.')


def is_weights_only_error(err: BaseException) -> bool:
    return isinstance(err, pickle.UnpicklingError) or 'weights_only' in str(err).lower()


class CheckpointMismatch(ValueError):
    """A checkpoint that is unreadable or does not fit the model (message is one line)."""


#: (key that only this model family has, what to call it) for the guess in mismatch messages.
_FAMILIES = (
    ('generator.align.dcn.weight', 'an SDAN'),
    ('generator.body.0.context.channel_add_conv.0.weight', 'an RNAN'),
    ('generator.img_upsampler', 'an SRCNN'),
    ('generator.conv_first.weight', 'an EDSR/RDN/SRResNet-like'),
)


def _describe(keys) -> str:
    for key, name in _FAMILIES:
        if any(k.startswith(key) for k in keys):
            return name
    return 'another'


def read_state_dict(path: str) -> dict:
    """The state_dict of a checkpoint file, or :class:`CheckpointMismatch` (one line) when the
    file is unreadable, truncated, refused by weights-only loading or holds no state_dict."""
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as err:
        if is_weights_only_error(err):
            raise CheckpointMismatch(explain_load_error(path, err)) from err
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CheckpointMismatch(f'cannot read checkpoint {path}: the file is truncated or '
                                 f'corrupt ({first})') from err
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise CheckpointMismatch(f'{path} holds no state_dict of tensors: not a model checkpoint')
    return state


def mismatch_message(expected: dict, state: dict, source: str, fix: str) -> Optional[str]:
    """None if ``state`` holds exactly the keys of ``expected`` with the same shapes, else one
    line: how many keys are missing / unexpected / of another shape, an example, and which model
    family each side looks like."""
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if not (missing or unexpected or shapes):
        return None
    parts = [f'{len(v)} {what}' for v, what in ((missing, 'missing'),
                                                (unexpected, 'unexpected'),
                                                (shapes, 'of another shape')) if v]
    example = ''
    if shapes:
        k = shapes[0]
        example = (f'; e.g. {k}: checkpoint {tuple(state[k].shape)}, model '
                   f'{tuple(expected[k].shape)}')
    elif missing:
        example = f'; e.g. missing {missing[0]}'
    return (f'{source} does not match this config\'s model ({", ".join(parts)} of '
            f'{len(expected)} keys{example}); it looks like {_describe(state)} checkpoint, the '
            f'config builds {_describe(expected)} model. Use the config the checkpoint was '
            f'trained with, or {fix}')


_TOOL_FIX = 'pass --allow-partial to load the matching keys only'


def check_checkpoint_matches(model: torch.nn.Module, path: str) -> None:
    """Raise :class:`CheckpointMismatch` unless ``path`` holds weights for every parameter and
    buffer of ``model`` with the right shapes, and nothing else.

    MMEngine loads checkpoints non-strictly and only logs a warning, so a checkpoint of another
    model (or of another config of the same model) would otherwise run and give wrong results.
    """
    message = mismatch_message(model.state_dict(), read_state_dict(path), path, _TOOL_FIX)
    if message:
        raise CheckpointMismatch(message)


def guard_checkpoint_loading(module: torch.nn.Module) -> None:
    """Make every non-strict load of a whole checkpoint into ``module`` (MMEngine's
    ``load_from``, ``tools/test.py``, MMagic's inferencers) refuse one that does not match,
    with :func:`mismatch_message`'s line, unless ``module.allow_partial_load`` is True.

    MMEngine's loader calls each module's ``_load_from_state_dict`` directly (not
    ``load_state_dict``), so the check is a load-state-dict pre-hook of the top module; it acts
    only on the whole model's dict (prefix ``''``), not when a submodule is loaded alone.
    """
    def hook(state_dict, prefix, *args) -> None:
        if prefix or getattr(module, 'allow_partial_load', False):
            return
        message = mismatch_message(module.state_dict(), state_dict, 'the checkpoint',
                                   'set model.allow_partial_load=True (the tools: '
                                   '--allow-partial) to load the matching keys only')
        if message:
            raise CheckpointMismatch(message)

    module._register_load_state_dict_pre_hook(hook)


class PretrainedWeightsMissing(FileNotFoundError):
    """An ImageNet weights file that torchvision would download is not in its cache (the message
    names the file, the folder, where to get it and how to do without)."""


def torchvision_weights_file(weights) -> str:
    """Where torchvision looks for a weights enum's file: ``$TORCH_HOME/hub/checkpoints/<file>``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(weights.url))


def require_torchvision_weights(weights, what: str, without: str,
                                error: type = PretrainedWeightsMissing) -> str:
    """The path of ``weights``' file, or ``error`` in one line saying that ``what`` needs it,
    where it belongs (nothing is downloaded at run time) and ``without`` (how to do without)."""
    path = torchvision_weights_file(weights)
    if not osp.isfile(path):
        name = osp.basename(path)
        raise error(
            f'{what} needs the torchvision ImageNet weights file {name} in '
            f'{osp.dirname(path)}/ (that is $TORCH_HOME/hub/checkpoints/, TORCH_HOME='
            f'{os.environ.get("TORCH_HOME", "<unset>")}); nothing is downloaded at run time. '
            f'Copy the file there from https://download.pytorch.org/models/{name} (or from '
            "another machine's cache), or set TORCH_HOME to a folder whose hub/checkpoints/ "
            f'holds it; {without}')
    return path

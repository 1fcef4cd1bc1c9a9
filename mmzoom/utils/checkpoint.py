"""Checkpoint loading that stays weights-only on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True``: only tensors, containers and allow-listed classes may
be unpickled. MMEngine 0.10.x Runner checkpoints also hold the message hub's ``HistoryBuffer``
objects and the numpy arrays/scalars inside them, so resume, ``load_from`` and ``tools/test.py``
fail with "Weights only load failed". Rather than switching weights-only off (which would let any
checkpoint run code on load), :func:`register_safe_globals` allow-lists exactly the classes an
MMEngine checkpoint contains. A checkpoint holding anything else still fails, and
:func:`explain_load_error` turns that failure into one readable line.
"""
import pickle

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

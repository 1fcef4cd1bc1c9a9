"""Readers and writers of the per-sequence SR-RAW side files ``tform.txt`` and ``wb.txt``.

``tform.txt`` (written by ``tools/dataset_converters/srraw/compute_tform.py``)::

    00001-00001:
    1.000000 0.000000 0.000000
    0.000000 1.000000 0.000000
    00001-00002:
    ...
    corner:
    00012 03990 00020 05980

Each key ``00001-0000k:`` is followed by the 2x3 affine warp ``A_k`` (two rows of three numbers)
that maps a pixel ``(x, y, 1)`` of the reference image 00001 to the matching position in image k
after k was FOV-cropped to the reference field of view and resized to the reference size (the
convention of OpenCV's ``findTransformECC(template=00001, input=k)``; warp image k into the
reference frame with ``cv2.warpAffine(img_k, A_k, size, flags=INTER_LINEAR | WARP_INVERSE_MAP)``).
``corner:`` gives ``min_h max_h min_w max_w``, the region of the reference frame that every image
of the sequence covers. This is the layout of the original SR-RAW release; the reader also takes
the numbers on the key line itself, spread over any number of lines, and commas or brackets.

``wb.txt`` (written by ``compute_wb.py``)::

    00001:
    2.0131 1.0 1.0 1.6020

one entry per image: key ``0000k:`` then the gains ``gR gG gG gB`` of the camera white balance
relative to a daylight rendering (see :mod:`mmzoom.raw.white_balance`). The reader also accepts
the gains on the key line and keys carrying a path prefix (``.../00002:``).
"""
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

PathLike = Union[str, os.PathLike]

_TFORM_KEY = re.compile(r'^(\d+)\s*-\s*(\d+)\s*:$')
_CORNER_KEY = 'corner:'
_WB_KEY = re.compile(r'^(?:.*[^\d])?(\d+)\s*:$')
_SEPARATORS = re.compile(r'[\s,;\[\]()]+')


@dataclass
class TformFile:
    """Content of a ``tform.txt``.

    Attributes:
        tforms: image index k -> (2, 3) float64 warp from the reference frame to image k.
        reference: index of the reference image (1 in SR-RAW).
        corner: ``(min_h, max_h, min_w, max_w)`` of the common region, or None if absent.
    """
    tforms: Dict[int, np.ndarray] = field(default_factory=dict)
    reference: int = 1
    corner: Optional[Tuple[int, int, int, int]] = None

    def get(self, k: int) -> np.ndarray:
        """The warp of image k; KeyError naming the available indices if missing."""
        if k not in self.tforms:
            raise KeyError(f'no transform {self.reference:05d}-{k:05d} (have '
                           f'{sorted(self.tforms)})')
        return self.tforms[k]


def _tokens(path: PathLike) -> List[Tuple[int, str]]:
    """(line number, token) pairs; a key token ends with ':' (a 'key:value' is split)."""
    out = []
    with open(path) as f:
        for lineno, line in enumerate(f, start=1):
            line = line.split('#')[0]
            for tok in _SEPARATORS.split(line.strip()):
                if not tok:
                    continue
                if ':' in tok and not tok.endswith(':'):
                    head, _, tail = tok.rpartition(':')
                    out += [(lineno, head + ':'), (lineno, tail)]
                else:
                    out.append((lineno, tok))
    return out


def _take_numbers(path: PathLike, tokens: List[Tuple[int, str]], start: int, count: int,
                  what: str) -> List[float]:
    values = []
    for lineno, tok in tokens[start:start + count]:
        if tok.endswith(':'):
            break
        try:
            values.append(float(tok))
        except ValueError:
            raise ValueError(f'{path}, line {lineno}: {what} expects numbers, found {tok!r}')
    if len(values) != count:
        line = tokens[start - 1][0]
        raise ValueError(f'{path}, line {line}: {what} needs {count} numbers, found {len(values)}'
                         '; the file is truncated or hand-edited: regenerate it with '
                         'tools/dataset_converters/srraw/')
    return values


def read_tform(path: PathLike) -> TformFile:
    """Parse a ``tform.txt`` (format in the module docstring). Errors name the file and line."""
    path = os.fspath(path)
    tokens = _tokens(path)
    result = TformFile()
    references = set()
    i = 0
    while i < len(tokens):
        lineno, tok = tokens[i]
        match = _TFORM_KEY.match(tok)
        if match:
            ref, k = int(match.group(1)), int(match.group(2))
            values = _take_numbers(path, tokens, i + 1, 6, f'key {tok}')
            if k in result.tforms:
                raise ValueError(f'{path}, line {lineno}: duplicate key {tok}')
            result.tforms[k] = np.array(values, dtype=np.float64).reshape(2, 3)
            references.add(ref)
            i += 7
        elif tok.lower() == _CORNER_KEY:
            values = _take_numbers(path, tokens, i + 1, 4, 'corner:')
            if any(v != int(v) for v in values):
                raise ValueError(f'{path}, line {lineno}: corner values must be integers')
            result.corner = tuple(int(v) for v in values)
            i += 5
        else:
            raise ValueError(f'{path}, line {lineno}: unexpected {tok!r}; expected a key like '
                             '"00001-00002:" or "corner:"')
    if len(references) > 1:
        raise ValueError(f'{path}: transforms to several reference images {sorted(references)}')
    if not result.tforms:
        raise ValueError(f'{path}: no transforms found (empty file?); regenerate it with '
                         'tools/dataset_converters/srraw/compute_tform.py')
    result.reference = references.pop()
    return result


def write_tform(path: PathLike, tforms: Mapping[int, np.ndarray],
                corner: Optional[Sequence[int]] = None, reference: int = 1,
                decimals: int = 6) -> None:
    """Write a ``tform.txt`` that :func:`read_tform` (and the SR-RAW code) reads back.

    Args:
        tforms: image index k -> (2, 3) warp (a 3x3 with last row 0 0 1 is accepted).
        corner: ``(min_h, max_h, min_w, max_w)``; omitted if None.
        reference: index of the reference image in the keys.
        decimals: digits after the decimal point (the SR-RAW release used 4).
    """
    lines = []
    for k in sorted(tforms):
        mat = np.asarray(tforms[k], dtype=np.float64)
        if mat.shape == (3, 3):
            mat = mat[:2]
        if mat.shape != (2, 3) or not np.all(np.isfinite(mat)):
            raise ValueError(f'transform for image {k} must be a finite 2x3 matrix, got {mat}')
        lines.append(f'{reference:05d}-{k:05d}:')
        lines += [' '.join(f'{v:.{decimals}f}' for v in row) for row in mat]
    if corner is not None:
        if len(corner) != 4:
            raise ValueError(f'corner must be (min_h, max_h, min_w, max_w), got {corner}')
        lines += ['corner:', ' '.join(f'{int(v):05d}' for v in corner)]
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def read_wb(path: PathLike) -> Dict[int, Tuple[float, float, float, float]]:
    """Parse a ``wb.txt``: image index k -> gains ``(gR, gG, gG, gB)``."""
    path = os.fspath(path)
    tokens = _tokens(path)
    gains: Dict[int, Tuple[float, float, float, float]] = {}
    i = 0
    while i < len(tokens):
        lineno, tok = tokens[i]
        match = _WB_KEY.match(tok)
        if not match:
            raise ValueError(f'{path}, line {lineno}: unexpected {tok!r}; expected a key like '
                             '"00002:" followed by four gains')
        k = int(match.group(1))
        values = _take_numbers(path, tokens, i + 1, 4, f'key {tok}')
        if k in gains:
            raise ValueError(f'{path}, line {lineno}: duplicate key {tok}')
        if min(values) <= 0:
            raise ValueError(f'{path}, line {lineno}: white-balance gains must be positive, '
                             f'got {values}')
        gains[k] = tuple(values)
        i += 5
    if not gains:
        raise ValueError(f'{path}: no white-balance entries (empty file?); regenerate it with '
                         'tools/dataset_converters/srraw/compute_wb.py')
    return gains


def write_wb(path: PathLike, gains: Mapping[int, Sequence[float]], decimals: int = 6) -> None:
    """Write a ``wb.txt`` that :func:`read_wb` (and the SR-RAW code) reads back.

    ``gains`` maps image index k to four gains ``(gR, gG, gG, gB)``; three values
    ``(gR, gG, gB)`` are accepted and written with G twice.
    """
    lines = []
    for k in sorted(gains):
        g = [float(v) for v in gains[k]]
        if len(g) == 3:
            g = [g[0], g[1], g[1], g[2]]
        if len(g) != 4 or min(g) <= 0 or not np.all(np.isfinite(g)):
            raise ValueError(f'gains for image {k} must be 4 positive numbers, got {gains[k]}')
        lines += [f'{k:05d}:', ' '.join(f'{v:.{decimals}f}' for v in g)]
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')

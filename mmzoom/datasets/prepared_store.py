"""SR-RAW pairs prepared once, read back by the crop: the prepared pair store.

Decoding a 42 MP RAW and a 42 MP JPG and warping the target costs about 2 s per training sample,
whatever the patch size (REFERENCE.md; the public SDAN loader does the same). Everything up to and
including :class:`~mmzoom.datasets.transforms.SRRawFovAlign` depends only on the pair, not on the
random crop, so ``tools/dataset_converters/srraw/prepare_pairs.py`` runs those steps once per
pair (the same transform objects the raw path runs, so both share one implementation of the
alignment) and stores what they return. Training then reads only the tiles a patch covers.

Layout (one folder per pair, renamed into place when complete, so an interrupted run leaves no
half-written pair)::

    <root>/store.json                          format, scale, input mode, the steps prepared
    <root>/<split>/<seq>/<hr>-<lr>/img.tif     aligned LR input, tiled TIFF (zlib, predictor)
    <root>/<split>/<seq>/<hr>-<lr>/gt.tif      aligned HR target, tiled TIFF
    <root>/<split>/<seq>/<hr>-<lr>/meta.json   the pair's index entry and loader metadata
    <root>/<split>/problems.txt                pairs left out at preparation, and why

What is stored, and how exactly it comes back:

- RAW input: the raw digital numbers (uint16) of the aligned mosaic; reading applies the file's
  levels with :func:`mmzoom.raw.normalise_counts`, the function :func:`mmzoom.raw.read_raw` uses,
  so the input equals the raw path's to the bit (checked for every pair when it is written).
- RGB input: the LR camera JPG's aligned crop, uint8 (exact: the raw path only crops it).
- Target: the warped HR JPG, 0..255 after clipping, rounded to uint8 (``hr_bits=8``, the
  converter's default: at most 0.5 from the raw path's float32, a PSNR of about 59 dB between the
  two; the source is an 8-bit JPG) or in steps of 1/256 as uint16 (``hr_bits=16``: at most
  0.002, about 3x the disk on detailed photos, whose fractional byte hardly compresses).

Standard tiled TIFFs (tifffile), readable by any TIFF reader; a window is read by decoding only the
tiles it touches through tifffile's own tile decoder.
"""
import errno
import json
import os
import os.path as osp
import shutil
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmagic.registry import TRANSFORMS
from mmzoom.raw import normalise_counts, tile_cfa

STORE_FORMAT = 'mmzoom-srraw-pairs'
STORE_VERSION = 1
HEADER_FILE = 'store.json'
META_FILE = 'meta.json'
PROBLEMS_FILE = 'problems.txt'
PARTIAL_TAG = '.partial-'
#: Tile side of the stored TIFFs: a 576 px target patch touches 25-36 tiles of 128 px, about
#: 1.5-2x the patch's pixels, against 2-4x with 256 px tiles.
TILE = 128
HR_BITS = (8, 16)
#: errno values that mean the store's disk cannot take more data: the converter stops.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT,
                         errno.EFBIG})
_GT_STEP = 1.0 / 256.0


class PreparedStoreError(ValueError):
    """A prepared store is missing, damaged, or made for another scale, input or pipeline."""


# -- JSON with tuples and arrays ------------------------------------------------------------------

def to_json(value: Any) -> Any:
    """Results values as JSON that :func:`from_json` turns back into the same types."""
    if isinstance(value, np.ndarray):
        return {'__ndarray__': value.tolist(), 'dtype': value.dtype.name}
    if isinstance(value, tuple):
        return {'__tuple__': [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if '__ndarray__' in value:
            return np.asarray(value['__ndarray__'], dtype=value['dtype'])
        if '__tuple__' in value:
            return tuple(from_json(v) for v in value['__tuple__'])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def _write_json(path: str, obj: Any) -> None:
    tmp = f'{path}{PARTIAL_TAG}{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


# -- the store header -----------------------------------------------------------------------------

def new_header(scale: int, input_mode: str, hr_bits: int, steps: Sequence[str]) -> dict:
    """Header of a store holding ``scale``x pairs with ``input_mode`` input, prepared with the
    transforms whose ``repr`` are ``steps``."""
    if hr_bits not in HR_BITS:
        raise ValueError(f'hr_bits must be one of {HR_BITS}, got {hr_bits}')
    return dict(format=STORE_FORMAT, version=STORE_VERSION, scale=int(scale),
                input_mode=input_mode, hr_bits=int(hr_bits), tile=TILE, steps=list(steps),
                splits={})


def read_header(root: str) -> dict:
    """``<root>/store.json``; PreparedStoreError if ``root`` is not a prepared store."""
    path = osp.join(root, HEADER_FILE)
    if not osp.isdir(root):
        raise PreparedStoreError(f'prepared store not found: {root} (make it with tools/'
                                 'dataset_converters/srraw/prepare_pairs.py SRRAW_ROOT OUT)')
    if not osp.isfile(path):
        raise PreparedStoreError(f'{root} is not a prepared pair store (no {HEADER_FILE}); make '
                                 'one with tools/dataset_converters/srraw/prepare_pairs.py '
                                 'SRRAW_ROOT OUT')
    try:
        with open(path) as f:
            header = json.load(f)
    except (OSError, ValueError) as err:
        raise PreparedStoreError(f'unreadable store header {path} ({err}); prepare the store '
                                 'again') from err
    if header.get('format') != STORE_FORMAT or header.get('version') != STORE_VERSION:
        raise PreparedStoreError(f'{path} is not a version-{STORE_VERSION} {STORE_FORMAT} header '
                                 f'(format {header.get("format")!r}, version '
                                 f'{header.get("version")!r}); prepare the store again')
    return header


def write_header(root: str, header: dict) -> None:
    os.makedirs(root, exist_ok=True)
    _write_json(osp.join(root, HEADER_FILE), header)


def describe(header: dict) -> str:
    """``'4x raw-input pairs'`` for messages."""
    return f'{header["scale"]}x {header["input_mode"]}-input pairs'


def check_compatible(header: dict, scale: int, input_mode: str, root: str,
                     fix: str) -> None:
    """One clear error when a store was prepared for another scale or input mode."""
    if header['scale'] != scale or header['input_mode'] != input_mode:
        raise PreparedStoreError(f'the store {root} holds {describe(header)}, not {scale}x '
                                 f'{input_mode}-input pairs; {fix}')


def pair_folder(root: str, split: str, sequence: str, hr: int, lr: int) -> str:
    """``<root>/<split>/<seq>/<hr:05d>-<lr:05d>``; ``sequence`` is ``'<split>/<seq>'``."""
    return osp.join(root, split, osp.basename(sequence), f'{hr:05d}-{lr:05d}')


# -- encoding one aligned pair --------------------------------------------------------------------

def _decode_counts(counts: np.ndarray, enc: dict, top: int, left: int) -> np.ndarray:
    oy, ox = enc['origin']
    mosaic = normalise_counts(counts[..., 0], enc['black'], enc['white'],
                              phase=(oy + top, ox + left))
    return (mosaic * np.float32(enc['value_scale']))[..., None]


def decode_plane(stored: np.ndarray, enc: dict, top: int = 0, left: int = 0) -> np.ndarray:
    """Stored samples of a window whose top-left pixel is (``top``, ``left``) -> the float32
    array the raw path computes there."""
    kind = enc['kind']
    if kind == 'counts':
        return _decode_counts(stored, enc, top, left)
    if kind == 'fixed':
        return stored.astype(np.float32) * np.float32(enc['step'])
    if kind == 'uint8':
        return stored.astype(np.float32)
    raise PreparedStoreError(f'unknown plane encoding {kind!r}; prepare the store again')


def encode_pair(results: dict, hr_bits: int, value_scale: float = 255.0
                ) -> Tuple[np.ndarray, dict, np.ndarray, dict]:
    """``(img samples, img encoding, gt samples, gt encoding)`` of an aligned pair (the results of
    the loaders and :class:`~mmzoom.datasets.transforms.SRRawFovAlign`).

    A RAW mosaic goes back to raw digital numbers; the round trip is checked so that the store
    never holds an input that differs from the raw path's. ``value_scale`` is
    :class:`~mmzoom.datasets.transforms.LoadRawFromFile`'s.
    """
    img, gt = results['img'], results['gt']
    if 'mosaic_pattern' in results:
        enc = dict(kind='counts', black=[float(b) for b in results['raw_black_level']],
                   white=float(results['raw_white_level']), value_scale=float(value_scale),
                   origin=[int(v) for v in results['img_origin']])
        black_map = tile_cfa(enc['black'], img.shape[:2], dtype=np.float64,
                             phase=tuple(enc['origin']))
        counts = np.rint(img[..., 0].astype(np.float64) / value_scale * (enc['white'] - black_map)
                         + black_map)
        stored = np.clip(counts, 0, 65535).astype(np.uint16)[..., None]
        if not np.array_equal(_decode_counts(stored, enc, 0, 0), img):
            raise PreparedStoreError(f'{results.get("img_path")}: the aligned mosaic is not a '
                                     'whole number of raw digital numbers (a level override?); '
                                     'it cannot be stored losslessly, train from the RAW files')
        img_stored, img_enc = stored, enc
    else:
        img_stored = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        if not np.array_equal(img_stored.astype(np.float32), img):
            raise PreparedStoreError(f'{results.get("img_path")}: the RGB input is not 8-bit')
        img_enc = dict(kind='uint8')
    if hr_bits == 16:
        gt_stored = np.clip(np.rint(gt * np.float32(1 / _GT_STEP)), 0, 65535).astype(np.uint16)
        gt_enc = dict(kind='fixed', step=_GT_STEP)
    elif hr_bits == 8:
        gt_stored = np.clip(np.rint(gt), 0, 255).astype(np.uint8)
        gt_enc = dict(kind='uint8')
    else:
        raise ValueError(f'hr_bits must be one of {HR_BITS}, got {hr_bits}')
    return img_stored, img_enc, gt_stored, gt_enc


#: Keys of an aligned sample kept in meta.json besides the index entry (everything the loaders
#: and SRRawFovAlign add, except the arrays themselves).
_ARRAY_KEYS = ('img', 'gt')


def write_plane(path: str, samples: np.ndarray) -> None:
    """(H, W, 1 or 3) stored samples as a tiled, zlib-compressed TIFF (horizontal predictor)."""
    import tifffile

    rgb = samples.shape[-1] == 3
    tifffile.imwrite(path, samples if rgb else samples[..., 0], tile=(TILE, TILE),
                     compression='zlib', predictor=2, photometric='rgb' if rgb else 'minisblack',
                     metadata=None)


def write_pair(folder: str, results: dict, info: dict, hr_bits: int, value_scale: float,
               source: dict) -> int:
    """Write one aligned pair into ``folder`` atomically; returns the bytes written.

    The files go to ``<folder>.partial-<pid>`` first, which is renamed to ``folder`` once all
    three are closed, so a killed run leaves a partial folder (removed by the next run) and never
    a pair that looks complete. An OSError from the disk propagates (the caller stops there).
    """
    img, img_enc, gt, gt_enc = encode_pair(results, hr_bits, value_scale)
    tmp = f'{folder}{PARTIAL_TAG}{os.getpid()}'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        for name, arr in (('img.tif', img), ('gt.tif', gt)):
            write_plane(osp.join(tmp, name), arr)
        extra = {k: v for k, v in results.items() if k not in _ARRAY_KEYS and k not in info}
        meta = dict(info=to_json(info), results=to_json(extra), img=img_enc, gt=gt_enc,
                    img_shape=list(img.shape), gt_shape=list(gt.shape), source=source)
        with open(osp.join(tmp, META_FILE), 'w') as f:
            json.dump(meta, f)
        if osp.isdir(folder):
            shutil.rmtree(folder)  # a stale pair (its source changed) being replaced
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sum(osp.getsize(osp.join(folder, n)) for n in os.listdir(folder))


def source_stamp(info: dict) -> dict:
    """Size and mtime of the files a pair is made from: a changed source is prepared again."""
    return {key: [os.stat(info[key]).st_size, os.stat(info[key]).st_mtime_ns]
            for key in ('img_path', 'gt_path')}


def read_pair_meta(folder: str) -> dict:
    with open(osp.join(folder, META_FILE)) as f:
        return json.load(f)


def remove_partials(split_root: str) -> int:
    """Remove the partial pair folders a killed run left under ``split_root``."""
    removed = 0
    if not osp.isdir(split_root):
        return 0
    for seq in os.listdir(split_root):
        seq_dir = osp.join(split_root, seq)
        if not osp.isdir(seq_dir):
            continue
        for name in os.listdir(seq_dir):
            if PARTIAL_TAG in name:
                shutil.rmtree(osp.join(seq_dir, name), ignore_errors=True)
                removed += 1
    return removed


# -- reading windows ------------------------------------------------------------------------------

_OPEN_FILES: 'OrderedDict[Tuple[int, str], Any]' = OrderedDict()
_MAX_OPEN = 16


def _tiff(path: str):
    """An open TiffFile, cached per process (DataLoader workers each keep their own)."""
    import tifffile

    key = (os.getpid(), path)
    tif = _OPEN_FILES.get(key)
    if tif is None:
        try:
            tif = tifffile.TiffFile(path)
        except (OSError, ValueError) as err:
            raise PreparedStoreError(f'unreadable prepared pair file {path} ({err}); prepare the '
                                     'store again (prepare_pairs.py redoes missing pairs)') from err
        _OPEN_FILES[key] = tif
        while len(_OPEN_FILES) > _MAX_OPEN:
            _, old = _OPEN_FILES.popitem(last=False)
            old.close()
    else:
        _OPEN_FILES.move_to_end(key)
    return tif


def read_window(path: str, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    """Rows ``[top, bottom)`` and columns ``[left, right)`` of a tiled TIFF as (h, w, C),
    decoding only the tiles they touch."""
    tif = _tiff(path)
    page = tif.pages.first
    height, width = page.imagelength, page.imagewidth
    if not (0 <= top < bottom <= height and 0 <= left < right <= width):
        raise ValueError(f'window [{top}:{bottom}, {left}:{right}] outside the {height}x{width} '
                         f'image {path}')
    th, tw = page.tilelength, page.tilewidth
    channels = page.samplesperpixel
    across = -(-width // tw)
    out = np.empty((bottom - top, right - left, channels), page.dtype)
    fh = tif.filehandle
    for ty in range(top // th, (bottom - 1) // th + 1):
        for tx in range(left // tw, (right - 1) // tw + 1):
            index = ty * across + tx
            fh.seek(page.dataoffsets[index])
            tile = page.decode(fh.read(page.databytecounts[index]), index)[0]
            tile = tile.reshape(th, tw, channels)
            y0, x0 = ty * th, tx * tw
            ys, ye = max(top, y0), min(bottom, y0 + th)
            xs, xe = max(left, x0), min(right, x0 + tw)
            out[ys - top:ye - top, xs - left:xe - left] = tile[ys - y0:ye - y0, xs - x0:xe - x0]
    return out


class PlaneSource:
    """One stored plane of a pair: ``read(top, bottom, left, right)`` -> float32 (h, w, C)."""

    def __init__(self, path: str, shape: Sequence[int], enc: dict) -> None:
        self.path, self.shape, self.enc = path, tuple(shape), enc

    def read(self, top: int, bottom: int, left: int, right: int) -> np.ndarray:
        return decode_plane(read_window(self.path, top, bottom, left, right), self.enc, top, left)


class StoredPlane:
    """A lazy (H, W, C) float32 view of a stored plane, for the crop and flip transforms.

    Supports what :class:`~mmzoom.datasets.transforms.CfaSafeFlip` and
    :class:`~mmzoom.datasets.transforms.PairedRawCrop` do to an array (``shape``, slicing with
    step +1/-1, ``np.flip``, ``transpose(1, 0, 2)``), so the same transforms run on the store
    and on decoded frames; ``np.asarray`` reads only the window the view covers. Anything else
    materialises the view first.
    """

    ndim = 3
    dtype = np.dtype(np.float32)

    def __init__(self, source: PlaneSource,
                 axes: Optional[Tuple[Tuple[int, int, int, int], ...]] = None) -> None:
        self._source = source
        height, width = source.shape[:2]
        # per view axis: (source axis, source index of view index 0, step, length)
        self._axes = axes or ((0, 0, 1, height), (1, 0, 1, width))

    @property
    def shape(self) -> Tuple[int, int, int]:
        return (self._axes[0][3], self._axes[1][3], self._source.shape[2])

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f'StoredPlane({self._source.path}, view {self._axes}, shape {self.shape})'

    def __getitem__(self, key):
        keys = key if isinstance(key, tuple) else (key, )
        if any(k is Ellipsis for k in keys):
            at = keys.index(Ellipsis)
            keys = keys[:at] + (slice(None), ) * (3 - len(keys) + 1) + keys[at + 1:]
        keys = keys + (slice(None), ) * (3 - len(keys))
        simple = (len(keys) == 3 and all(isinstance(k, slice) for k in keys)
                  and keys[2].indices(self.shape[2]) == (0, self.shape[2], 1)
                  and all(k.indices(n)[2] in (1, -1) for k, n in zip(keys[:2], self.shape)))
        if not simple:
            return np.asarray(self)[key]
        axes = []
        for (src_axis, first, step, n), k in zip(self._axes, keys[:2]):
            start, stop, kstep = k.indices(n)
            axes.append((src_axis, first + step * start, step * kstep,
                         len(range(start, stop, kstep))))
        return StoredPlane(self._source, tuple(axes))

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if tuple(axes) in ((1, 0, 2), (1, 0)):
            return StoredPlane(self._source, (self._axes[1], self._axes[0]))
        if tuple(axes) in ((), (0, 1, 2)):
            return self
        return np.asarray(self).transpose(axes)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if min(self.shape[:2]) == 0:
            return np.zeros(self.shape, dtype or np.float32)
        bounds = {}
        for src_axis, first, step, n in self._axes:
            last = first + step * (n - 1)
            bounds[src_axis] = (min(first, last), max(first, last) + 1)
        (top, bottom), (left, right) = bounds[0], bounds[1]
        region = self._source.read(top, bottom, left, right)
        index: List[slice] = [slice(None), slice(None)]
        for src_axis, first, step, n in self._axes:
            start = first - bounds[src_axis][0]
            stop = start + step * n
            index[src_axis] = slice(start, stop if stop >= 0 else None, step)
        out = region[index[0], index[1]]
        if self._axes[0][0] == 1:
            out = out.transpose(1, 0, 2)
        return np.ascontiguousarray(out, dtype=dtype or np.float32)


@TRANSFORMS.register_module()
class LoadPreparedPair(BaseTransform):
    """Load an aligned SR-RAW pair from the prepared store (instead of the loaders and
    :class:`~mmzoom.datasets.transforms.SRRawFovAlign`, whose output it is).

    :class:`~mmzoom.datasets.SRRawDataset` with ``prepared_root`` puts this step in place of
    those it replaces; the rest of the pipeline (flips, crop, white balance, reference, packing)
    runs unchanged.

    Required keys: ``prepared`` (set by the dataset: pair folder and plane encodings).
    Added keys: ``img`` (h, w, 1 or 3) and ``gt`` (scale*h, scale*w, 3) float32, as
    SRRawFovAlign returns them (see :mod:`mmzoom.datasets.prepared_store` for the exactness),
    and every other key the loaders and SRRawFovAlign set (``cfa_pattern``, ``mosaic_pattern``,
    ``img_origin``, ``gt_warp``, levels, ...).

    Args:
        lazy (bool): give ``img`` / ``gt`` as :class:`StoredPlane` views that a later crop reads
            window by window (True; the dataset sets it only when a ``PairedRawCrop`` follows),
            or as whole arrays (False).
    """

    def __init__(self, lazy: bool = True) -> None:
        self.lazy = lazy

    def transform(self, results: dict) -> dict:
        prepared = results['prepared']
        folder = prepared['folder']
        for key in ('img', 'gt'):
            path = osp.join(folder, f'{key}.tif')
            if not osp.isfile(path):
                raise PreparedStoreError(f'prepared pair file missing: {path}; run prepare_pairs'
                                         '.py again (it redoes missing pairs)')
            plane = StoredPlane(PlaneSource(path, prepared[f'{key}_shape'], prepared[key]))
            results[key] = plane if self.lazy else np.asarray(plane)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(lazy={self.lazy})'


# -- the converter's unit of work -----------------------------------------------------------------

_STEP_CACHE: Dict[str, List[Callable]] = {}


def _built_steps(step_cfgs: Sequence[dict]) -> List[Callable]:
    key = json.dumps(step_cfgs, sort_keys=True)
    if key not in _STEP_CACHE:
        import mmzoom  # noqa: F401  (registers the transforms in a fresh worker)
        _STEP_CACHE[key] = [TRANSFORMS.build(dict(cfg)) for cfg in step_cfgs]
    return _STEP_CACHE[key]


def prepare_pair(job: dict) -> Tuple[str, Any]:
    """Align one pair with ``job['steps']`` and write it; for the converter's worker pool.

    Returns ``('ok', (bytes, seconds))``, ``('skip', reason)`` for a pair whose files cannot be
    used (the message of the transform that failed, as the raw path would raise it), or
    ``('disk', reason)`` when the store's disk refuses the write (the run must stop).
    """
    import time

    start = time.perf_counter()
    info = job['info']
    steps = _built_steps(job['steps'])
    try:
        results = dict(info)
        for step in steps:
            results = step(results)
        source = source_stamp(info)
    except (OSError, ValueError, KeyError) as err:
        return 'skip', str(err)
    value_scale = next((getattr(s, 'value_scale') for s in steps if hasattr(s, 'value_scale')),
                       255.0)
    try:
        nbytes = write_pair(job['folder'], results, info, job['hr_bits'], value_scale, source)
    except PreparedStoreError as err:
        return 'skip', str(err)
    except OSError as err:
        if err.errno in DISK_ERRNOS:
            return 'disk', f'{err.strerror} ({err.filename or job["folder"]})'
        raise
    return 'ok', (nbytes, time.perf_counter() - start)

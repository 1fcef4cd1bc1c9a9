"""The SR-RAW folder tree: finding sequences and shots, and checking a copy for damage.

Layout: ``<root>/{train,test}/<seq>/0000k.{JPG,<raw>}`` plus ``tform.txt`` and ``wb.txt`` per
sequence, k = 1 the longest focal length. The RAW extension is ``ARW`` in the SR-RAW release and
``dng`` in trees written by :mod:`mmzoom.raw.synthetic`; every function takes it as a parameter
(``'auto'`` picks the one extension present under the root). Extensions match case-insensitively.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import (Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar,
                    Union)

PathLike = Union[str, os.PathLike]
_Job = TypeVar('_Job')
_Result = TypeVar('_Result')

#: RAW extensions recognised by ``raw_ext='auto'`` (lower case).
RAW_EXTENSIONS = ('arw', 'dng', 'cr2', 'nef')
JPG_EXTENSIONS = ('jpg', 'jpeg')
TFORM_FILE = 'tform.txt'
WB_FILE = 'wb.txt'


def _is_shot_name(name: str, exts: Iterable[str]) -> bool:
    stem, dot, suffix = name.rpartition('.')
    return bool(dot) and stem.isdigit() and suffix.lower() in exts


def shot_paths(seq_dir: PathLike, ext: Union[str, Iterable[str]]) -> Dict[int, str]:
    """Shot index k -> path of the ``0000k.<ext>`` files of one sequence folder.

    ``ext`` is one extension or several (e.g. :data:`JPG_EXTENSIONS`), without the dot, matched
    case-insensitively.
    """
    exts = {e.lower().lstrip('.') for e in ([ext] if isinstance(ext, str) else ext)}
    seq_dir = os.fspath(seq_dir)
    out = {}
    for name in sorted(os.listdir(seq_dir)):
        if _is_shot_name(name, exts) and osp.isfile(osp.join(seq_dir, name)):
            out[int(name.rpartition('.')[0])] = osp.join(seq_dir, name)
    return out


def find_sequences(root: PathLike) -> List[str]:
    """Sequence folders under ``root`` (the dataset root, a split folder or one sequence).

    A sequence folder has a numeric name and holds numbered images or a tform.txt/wb.txt (an
    empty numeric folder counts too, so that the checker reports it).
    """
    root = os.fspath(root)
    if not osp.isdir(root):
        raise FileNotFoundError(f'dataset root not found: {root}')
    found = []
    exts = set(JPG_EXTENSIONS) | set(RAW_EXTENSIONS)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if not osp.basename(dirpath).isdigit():
            continue
        if not dirnames or any(_is_shot_name(f, exts) or f in (TFORM_FILE, WB_FILE)
                               for f in filenames):
            found.append(dirpath)
    return sorted(found)


def detect_raw_ext(root: PathLike, default: str = 'ARW') -> str:
    """The RAW extension used under ``root`` (as spelled in the files), ``default`` if none.

    Raises ValueError if several RAW formats are mixed; pass the extension explicitly then.
    """
    seen: Dict[str, str] = {}
    for seq in find_sequences(root):
        for name in os.listdir(seq):
            if _is_shot_name(name, RAW_EXTENSIONS):
                suffix = name.rpartition('.')[2]
                seen.setdefault(suffix.lower(), suffix)
    if len(seen) > 1:
        raise ValueError(f'several RAW formats under {root}: {sorted(seen.values())}; choose one '
                         'with --raw-ext')
    return next(iter(seen.values()), default)


def resolve_raw_ext(root: PathLike, raw_ext: Optional[str]) -> str:
    """``raw_ext`` without its dot, or the detected one for ``None``/``'auto'``."""
    if raw_ext is None or raw_ext.lower() == 'auto':
        return detect_raw_ext(root)
    return raw_ext.lstrip('.')


def _init_worker() -> None:
    # One job per worker process; OpenCV's own thread pool would oversubscribe the cores.
    import cv2
    cv2.setNumThreads(1)


class _Guarded:
    """Picklable wrapper: ``job -> (job, result, None)`` or ``(job, None, message)``."""

    def __init__(self, func: Callable, catch: Tuple[type, ...]) -> None:
        self.func, self.catch = func, catch

    def __call__(self, job):
        try:
            return job, self.func(job), None
        except self.catch as err:
            return job, None, str(err)


def map_with_progress(func: Callable[[_Job], _Result], jobs: Sequence[_Job], workers: int = 1,
                      desc: str = '', unit: str = 'it', progress: bool = True,
                      catch: Tuple[type, ...] = ()
                      ) -> Iterator[Tuple[_Job, Optional[_Result], Optional[str]]]:
    """Run ``func`` on every job under a tqdm progress bar (stderr); yield
    ``(job, result, error)``, where ``error`` is the message of an exception of a ``catch`` type
    (the run goes on) and ``result`` is then None.

    With ``workers > 1`` the jobs run in a pool of ``forkserver`` processes (LibRaw's OpenMP can
    deadlock in ``fork``-ed children) and results arrive in completion order; ``func`` must be
    importable by name (a module-level function or a ``functools.partial`` of one).
    """
    from tqdm import tqdm

    guarded = _Guarded(func, tuple(catch))
    bar = dict(total=len(jobs), desc=desc, unit=unit, disable=not progress, dynamic_ncols=True)
    if workers <= 1 or len(jobs) <= 1:
        yield from tqdm((guarded(job) for job in jobs), **bar)
        return
    import multiprocessing
    ctx = multiprocessing.get_context('forkserver')
    # Import once in the server rather than once per worker (mmzoom's import is heavy).
    ctx.set_forkserver_preload(['mmzoom.raw'])
    with ctx.Pool(min(workers, len(jobs)), initializer=_init_worker) as pool:
        yield from tqdm(pool.imap_unordered(guarded, jobs), **bar)


@dataclass(frozen=True)
class Problem:
    """One defect found by :func:`check_dataset`."""
    path: str
    reason: str

    def __str__(self) -> str:
        return f'{self.path}: {self.reason}'


def _check_jpg(path: str) -> Optional[str]:
    from PIL import Image, ImageFile

    from .exif import FocalLengthError, read_focal_length
    if osp.getsize(path) == 0:
        return '0-byte JPG'
    # Some libraries switch this on globally; it would let a truncated JPG pass as complete.
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(path) as img:
            img.load()  # full decode: a truncated JPG opens fine and fails only here
    except Exception as err:  # noqa: BLE001  (any decoder failure means a corrupt file)
        return f'corrupt JPG ({err})'
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    try:
        read_focal_length(path)
    except FocalLengthError:
        return 'JPG without EXIF FocalLength (tag 37386)'
    return None


def _what(message: str, path: str) -> str:
    """``'<path> is X; fix'`` -> ``'the file is X'`` for a Problem's reason."""
    return 'the file ' + message[len(path):].split('; ')[0].strip() if message.startswith(path) \
        else message


def _check_raw(path: str) -> Optional[str]:
    from .rawfile import RawReadError, probe_raw
    if osp.getsize(path) == 0:
        return '0-byte RAW file'
    try:
        probe_raw(path)
    except RawReadError as err:
        return f'undecodable RAW file: {_what(str(err), path)}'
    return None


def check_file(item: Tuple[str, str]) -> Optional[Problem]:
    """Check one ``(kind, path)`` file, ``kind`` 'jpg' or 'raw'; the problem found or None.

    The one judgement of a file shared by ``check_dataset`` and ``SRRawDataset(check_files=...)``.
    """
    kind, path = item
    reason = _check_jpg(path) if kind == 'jpg' else _check_raw(path)
    return Problem(path, reason) if reason else None


def _check_layout(seq: str, raw_ext: str,
                  require_meta: bool) -> Tuple[List[Problem], List[Tuple[str, str]]]:
    from .metafiles import read_tform, read_wb
    problems, files = [], []
    jpgs, raws = shot_paths(seq, JPG_EXTENSIONS), shot_paths(seq, raw_ext)
    shots = sorted(set(jpgs) | set(raws))
    if not shots:
        return [Problem(seq, f'sequence folder holds no 0000k.JPG / 0000k.{raw_ext} images')], []
    if 1 not in shots:
        problems.append(Problem(osp.join(seq, '00001.JPG'),
                                'missing reference shot 00001 (JPG and RAW)'))
    for k in shots:
        if k not in raws:
            problems.append(Problem(osp.join(seq, f'{k:05d}.{raw_ext}'),
                                    f'missing RAW partner of {osp.basename(jpgs[k])}'))
        if k not in jpgs:
            problems.append(Problem(osp.join(seq, f'{k:05d}.JPG'),
                                    f'missing JPG partner of {osp.basename(raws[k])}'))
    files += [('jpg', p) for p in jpgs.values()] + [('raw', p) for p in raws.values()]
    if not require_meta:
        return problems, files
    for name, reader, what in ((TFORM_FILE, read_tform, 'compute_tform.py'),
                               (WB_FILE, read_wb, 'compute_wb.py')):
        path = osp.join(seq, name)
        if not osp.isfile(path):
            problems.append(Problem(path, f'missing {name} (run tools/dataset_converters/srraw/'
                                    f'{what})'))
            continue
        try:
            content = reader(path)
        except (ValueError, OSError) as err:
            problems.append(Problem(path, f'unreadable {name} ({err})'))
            continue
        keys = content.tforms if name == TFORM_FILE else content
        missing = [k for k in shots if k not in keys]
        if missing:
            problems.append(Problem(path, f'no entry for shots {missing}'))
    return problems, files


def check_dataset(root: PathLike, raw_ext: Optional[str] = 'auto', require_meta: bool = True,
                  workers: int = 1, progress: bool = True) -> Tuple[List[Problem], int]:
    """Find every missing or damaged file of an SR-RAW tree.

    Checks per sequence: a 00001 shot, a RAW partner for every JPG and vice versa, 0-byte files,
    JPGs that do not decode or lack the EXIF focal length, RAW files LibRaw cannot decode, and
    (``require_meta``) a readable tform.txt and wb.txt with an entry for every shot.

    Args:
        root: dataset root, split folder or sequence folder.
        raw_ext: RAW extension (``ARW``, ``dng``) or ``'auto'``.
        require_meta: also require tform.txt and wb.txt.
        workers: processes decoding files in parallel.
        progress: show a progress bar on stderr.

    Returns:
        ``(problems sorted by path, number of sequences checked)``.
    """
    raw_ext = resolve_raw_ext(root, raw_ext)
    sequences = find_sequences(root)
    if not sequences:
        return [Problem(os.fspath(root), 'no sequence folders (<root>/{train,test}/<seq>/) '
                        'found')], 0
    problems: List[Problem] = []
    files: List[Tuple[str, str]] = []
    for seq in sequences:
        seq_problems, seq_files = _check_layout(seq, raw_ext, require_meta)
        problems += seq_problems
        files += seq_files
    for _, problem, _ in map_with_progress(check_file, files, workers, 'checking files', 'file',
                                           progress):
        if problem is not None:
            problems.append(problem)
    return sorted(problems, key=lambda p: (p.path, p.reason)), len(sequences)

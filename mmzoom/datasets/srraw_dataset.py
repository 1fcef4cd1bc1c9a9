"""Index of SR-RAW LR/HR pairs as SDAN uses them: paths and per-pair metadata, no pixel work.

Layout (Zhang et al., CVPR 2019; :mod:`mmzoom.raw.srraw_tree`)::

    <data_root>/<split>/<seq>/0000k.JPG, 0000k.<raw_ext>, tform.txt, wb.txt

k = 1 is the longest focal length. A pair (HR k, LR l) trains the network to turn shot l (wide)
into shot k (tele) cut to the same field of view.
"""
import glob
import os.path as osp
import re
import warnings
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmagic.registry import DATASETS, TRANSFORMS
from mmzoom.raw import (FocalLengthError, Problem, TformFile, diagnose_raw_file, find_sequences,
                        map_with_progress,
                        read_focal_length, read_tform, read_wb, resolve_raw_ext, shot_paths)
# check_dataset's per-file decoder (picklable, for worker processes); reused for check_files=
# 'decode' so that the dataset and the checker tool judge a file the same way.
from mmzoom.raw.srraw_tree import JPG_EXTENSIONS, TFORM_FILE, WB_FILE, check_file
from .prepared_store import (PARTIAL_TAG, PROBLEMS_FILE, PreparedStoreError, from_json,
                             check_compatible, describe, read_header, read_pair_meta)

SCALES = (4, 8)
INPUT_MODES = ('raw', 'rgb')
CHECK_MODES = ('header', 'decode', 'none')

#: SDAN's pairs (HR shot, LR shot) per (scale, split): 4x train (k, k + 4) for k = 1, 2, 3;
#: 4x test (2, 6); 8x (1, 6). ``scale`` is relative to the LR mosaic grid.
DEFAULT_PAIRS = {
    (4, 'train'): ((1, 5), (2, 6), (3, 7)),
    (4, 'test'): ((2, 6), ),
    (8, 'train'): ((1, 6), ),
    (8, 'test'): ((1, 6), ),
}

#: Shots of the SR-RAW training split known to be unusable (the SDAN code's list); a pair that
#: uses one of them is left out. Entries are ``[<split>/]<seq>/<shot>[.<ext>]``.
KNOWN_BAD_SHOTS = ('train/00350/00001.JPG', 'train/00350/00002.JPG', 'train/00350/00003.JPG',
                   'train/00560/00003.JPG', 'train/00267/00003.JPG')

#: Some SR-RAW sequences stop at shot 6 instead of 7 (the dataset's documented variation); pairs
#: that need shot 7 are skipped there. Any other missing file is an error.
SHORT_SEQUENCE_LAST_SHOT = 6

_EXCLUDE_ENTRY = re.compile(r'^(?:(?P<split>[^/\\]+)[/\\])?(?P<seq>\d+)[/\\](?P<shot>\d+)'
                            r'(?:\.\w+)?$')
_FIX_HINT = ('Restore the files (tools/dataset_converters/srraw/check_dataset.py checks a whole '
             'tree; compute_tform.py and compute_wb.py rewrite tform.txt and wb.txt), list '
             'unusable shots in `exclude`, or set skip_invalid=True to use the remaining pairs.')


class SRRawDatasetError(ValueError):
    """The SR-RAW tree lacks or has damaged files that pairs need; the message lists them all."""


def _step_name(step) -> str:
    """Type name of a pipeline entry (a config dict or a transform object)."""
    if isinstance(step, dict):
        kind = step.get('type')
        return kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))
    return type(step).__name__


def parse_exclude(entries: Iterable[str]) -> Set[Tuple[Optional[str], int, int]]:
    """``'train/00350/00001.JPG'`` -> ``{('train', 350, 1)}``; the split is optional (None
    matches any split) and so is the extension (a bad JPG makes the whole shot unusable)."""
    out = set()
    for entry in entries:
        match = _EXCLUDE_ENTRY.match(str(entry).strip())
        if not match:
            raise ValueError(f'exclude entry {entry!r} is not "[<split>/]<seq>/<shot>[.<ext>]", '
                             'e.g. "train/00350/00001.JPG"')
        out.add((match.group('split'), int(match.group('seq')), int(match.group('shot'))))
    return out


def _jpg_header(path: str) -> Union[Problem, Tuple[float, Tuple[int, int]]]:
    """(focal length, (H, W)) from a JPG's header and EXIF, or the Problem; no pixel decoding."""
    from PIL import Image

    if osp.getsize(path) == 0:
        return Problem(path, '0-byte JPG')
    try:
        with Image.open(path) as img:
            width, height = img.size  # stored grid; EXIF orientation is ignored on purpose
    except Exception as err:  # noqa: BLE001  (any reader failure means an unusable file)
        return Problem(path, f'corrupt JPG ({err})')
    try:
        focal = read_focal_length(path)
    except FocalLengthError:
        return Problem(path, 'JPG without a usable EXIF FocalLength (tag 37386)')
    return focal, (height, width)


def _raw_header(path: str) -> Optional[Problem]:
    """Problem if LibRaw cannot parse the RAW file's header (no decoding of the mosaic)."""
    import rawpy

    if osp.getsize(path) == 0:
        return Problem(path, '0-byte RAW file')
    raw = rawpy.RawPy()
    try:
        raw.open_file(path)
    except rawpy.LibRawError as err:
        msg = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        return Problem(path, f'undecodable RAW file: the file {diagnose_raw_file(path, msg)}')
    finally:
        raw.close()
    return None


@DATASETS.register_module()
class SRRawDataset(BaseDataset):
    """SR-RAW LR/HR pairs for learned optical zoom (SR-RAW, Zhang et al., CVPR 2019; the pairs
    of SDAN, ICME 2021, Sec. 4.1).

    Each item describes one pair: the LR shot's RAW (``input_mode='raw'``) or camera JPG
    (``'rgb'``) as ``img_path``, the HR shot's JPG as ``gt_path``, and what the pipeline needs
    to align them, read from the headers and side files while indexing:

    - ``scale`` (4 or 8, relative to the LR mosaic grid), ``sequence`` (``'<split>/<seq>'``),
      ``hr_index``, ``lr_index``, ``input_mode``;
    - ``focal_lengths``: EXIF focal lengths (mm) of the ``reference`` shot (00001), ``hr`` and
      ``lr``; ``frame_shapes``: their JPG (H, W);
    - ``tforms``: the ``tform.txt`` warps (2x3) of ``hr`` and ``lr``;
    - ``wb_gains``: the HR shot's ``(gR, gG, gG, gB)`` from ``wb.txt`` (removed from the target,
      re-applied at evaluation); ``img_wb_gains``: the LR shot's (RGB input, LR reference);
    - ``lr_jpg_path`` (RAW input): the LR shot's camera JPG, for
      :class:`~mmzoom.datasets.transforms.LRJpgReference`.

    No pixel is decoded while indexing; the checks cost one header read per file: missing shots
    and partners, 0-byte files, JPGs that do not parse or lack the EXIF focal length, RAW files
    LibRaw cannot parse, missing or unreadable ``tform.txt`` / ``wb.txt`` or entries, and focal
    lengths in the wrong order. Every problem is collected, then reported in one
    :class:`SRRawDatasetError` (or, with ``skip_invalid``, one warning; the pairs concerned are
    dropped). ``check_files='decode'`` also decodes every file once, as
    ``tools/dataset_converters/srraw/check_dataset.py`` does (finds truncated files, slow on the
    58 GB training split); otherwise a truncated RAW fails in :class:`LoadRawFromFile` with its
    path.

    Args:
        data_root (str): SR-RAW root holding ``train/`` and ``test/``.
        split (str): sub-folder to index, ``'train'`` or ``'test'`` (selects the default pairs).
        scale (int): 4 or 8, target size over LR mosaic size. Default: 4.
        input_mode (str): ``'raw'`` (Bayer RAW input) or ``'rgb'`` (LR camera JPG). Default:
            ``'raw'``.
        pipeline (list): transforms, e.g. ``configs/_base_/datasets/srraw_x4_raw.py``.
        pairs (Sequence[Tuple[int, int]], optional): (HR shot, LR shot) pairs; default
            :data:`DEFAULT_PAIRS` for (scale, split).
        exclude (Sequence[str]): shots to leave out, ``[<split>/]<seq>/<shot>[.<ext>]``.
            Default: :data:`KNOWN_BAD_SHOTS`.
        raw_ext (str): RAW extension (``'ARW'`` for SR-RAW, ``'dng'`` for the demo tree) or
            ``'auto'`` (the one found under the split). Default: ``'auto'``.
        skip_invalid (bool): False: raise one error listing every problem. True: warn once and
            index the remaining pairs. Default: False.
        check_files (str): ``'header'`` (default), ``'decode'`` or ``'none'`` (existence and
            side files only; focal lengths and sizes are still read from the JPG headers).
        workers (int): processes for ``check_files='decode'``. Default: 1.
        prepared_root (str, optional): a store made by ``tools/dataset_converters/srraw/
            prepare_pairs.py`` (:mod:`mmzoom.datasets.prepared_store`). The pairs are then read
            from it, selected by the same ``pairs`` / ``exclude`` rules, and the pipeline's
            loaders and ``SRRawFovAlign`` (whose output the store holds) are replaced by
            :class:`~mmzoom.datasets.prepared_store.LoadPreparedPair`; the rest of the pipeline
            runs as is, a crop reading only the tiles it covers. The store must have been made
            for this ``scale`` and ``input_mode`` with the same loader and alignment settings
            (checked here, before training). ``data_root`` is then not read. Default: None.
        **kwargs: MMEngine ``BaseDataset`` arguments (``test_mode``, ``indices``,
            ``lazy_init``, ``serialize_data``, ...).
    """

    METAINFO = dict(dataset_type='srraw', task_name='zoom')

    def __init__(self, data_root: str, split: str = 'train', scale: int = 4,
                 input_mode: str = 'raw', pipeline: Sequence = (),
                 pairs: Optional[Sequence[Sequence[int]]] = None,
                 exclude: Sequence[str] = KNOWN_BAD_SHOTS, raw_ext: str = 'auto',
                 skip_invalid: bool = False, check_files: str = 'header', workers: int = 1,
                 prepared_root: Optional[str] = None, **kwargs) -> None:
        if scale not in SCALES:
            raise ValueError(f'scale must be one of {SCALES} (LR mosaic -> target), got {scale}')
        if input_mode not in INPUT_MODES:
            raise ValueError(f'input_mode must be one of {INPUT_MODES}, got {input_mode!r}')
        if check_files not in CHECK_MODES:
            raise ValueError(f'check_files must be one of {CHECK_MODES}, got {check_files!r}')
        if pairs is None:
            if (scale, split) not in DEFAULT_PAIRS:
                raise ValueError(f'no default pairs for split {split!r}: use "train" or "test", '
                                 'or pass pairs=[(hr_shot, lr_shot), ...]')
            pairs = DEFAULT_PAIRS[(scale, split)]
        pairs = [tuple(int(k) for k in pair) for pair in pairs]
        bad = [p for p in pairs if len(p) != 2 or not 1 <= p[0] < p[1]]
        if bad:
            raise ValueError(f'pairs must be (HR shot, LR shot) with 1 <= HR < LR (the HR shot has '
                             f'the longer focal length), got {bad}')
        self.split = split
        self.scale = int(scale)
        self.input_mode = input_mode
        self.pairs = pairs
        self.exclude = parse_exclude(exclude or ())
        self.raw_ext = raw_ext
        self.skip_invalid = skip_invalid
        self.check_files = check_files
        self.workers = workers
        self.prepared_root = prepared_root
        #: problems found while indexing (the pairs they concern are left out with skip_invalid)
        self.problems: List[Problem] = []
        pipeline = list(pipeline)
        if prepared_root is not None:
            self.store_header = read_header(prepared_root)
            check_compatible(self.store_header, self.scale, self.input_mode, prepared_root,
                             'point prepared_root at a store prepared with --scale '
                             f'{self.scale} --input-mode {self.input_mode}, or remove it to read '
                             'the RAW files')
            pipeline = self._prepared_pipeline(pipeline)
        super().__init__(data_root=data_root, pipeline=pipeline, **kwargs)

    # -- indexing -------------------------------------------------------------------------------

    def _excluded(self, seq: str, shot: int) -> bool:
        seq_no = int(seq) if seq.isdigit() else -1
        return any(s in (None, self.split) and q == seq_no and k == shot
                   for s, q, k in self.exclude)

    def load_data_list(self) -> List[dict]:
        if self.prepared_root is not None:
            return self._load_prepared()
        split_root = osp.join(self.data_root, self.split)
        if not osp.isdir(split_root):
            raise FileNotFoundError(f'SR-RAW split folder not found: {split_root}; expected '
                                    f'<data_root>/{self.split}/<seq>/0000k.JPG (data_root='
                                    f'{self.data_root!r})')
        raw_ext = resolve_raw_ext(split_root, self.raw_ext)
        sequences = find_sequences(split_root)
        jpg_cache: Dict[str, Union[Problem, Tuple[float, Tuple[int, int]]]] = {}
        raw_cache: Dict[str, Optional[Problem]] = {}
        side_cache: Dict[str, Union[Problem, TformFile, dict]] = {}
        candidates: List[Tuple[dict, List[Problem]]] = []
        counts = dict(short=0, excluded=0)
        for seq_dir in sequences:
            candidates += self._index_sequence(seq_dir, raw_ext, jpg_cache, raw_cache, side_cache,
                                               counts)

        if self.check_files == 'decode':
            files = sorted({(kind, info[key]) for info, probs in candidates if not probs
                            for kind, key in self._decoded_files(info)})
            decoded = {}
            for (_, path), problem, _ in map_with_progress(check_file, files, self.workers,
                                                           'decoding SR-RAW files', 'file'):
                if problem is not None:
                    decoded[path] = problem
            candidates = [(info, probs + [decoded[info[key]] for _, key in
                                          self._decoded_files(info) if info[key] in decoded])
                          for info, probs in candidates]

        data_list = [info for info, probs in candidates if not probs]
        problems = sorted({p for _, probs in candidates for p in probs},
                          key=lambda p: (p.path, p.reason))
        where = (f'SR-RAW {self.split} split at {split_root} ({self.scale}x pairs '
                 f'{self.pairs}, {self.input_mode} input)')
        self.problems = problems
        if problems:
            lines = '\n'.join(f'  {p}' for p in problems)
            dropped = len(candidates) - len(data_list)
            if not self.skip_invalid:
                raise SRRawDatasetError(f'{where}: {len(problems)} problem(s) with files that '
                                        f'{dropped} of {len(candidates)} pairs need:\n{lines}\n'
                                        f'{_FIX_HINT}')
            warnings.warn(f'{where}: skipping {dropped} of {len(candidates)} pairs because of '
                          f'{len(problems)} problem(s):\n{lines}')
        if not data_list:
            raise SRRawDatasetError(f'{where}: no usable pair among {len(sequences)} sequence '
                                    f'folder(s) ({counts["short"]} pairs need a 7th shot that '
                                    f'6-shot sequences lack, {counts["excluded"]} excluded)')
        print_log(f'SRRawDataset: {len(data_list)} pairs from {len(sequences)} sequences of '
                  f'{split_root} ({counts["short"]} skipped: 6-shot sequences; '
                  f'{counts["excluded"]} excluded)', logger='current')
        return data_list

    # -- the prepared store --------------------------------------------------------------------

    def _prepared_pipeline(self, pipeline: List) -> List:
        """``pipeline`` with its loaders and SRRawFovAlign replaced by LoadPreparedPair, after
        checking that they are the steps the store was prepared with."""
        names = [_step_name(step) for step in pipeline]
        if 'SRRawFovAlign' not in names:
            raise PreparedStoreError(
                'prepared_root needs a pipeline that starts with the loaders and SRRawFovAlign '
                f'(the steps the store holds the output of); got {names}')
        head = pipeline[:names.index('SRRawFovAlign') + 1]
        steps = [repr(TRANSFORMS.build(step) if isinstance(step, dict) else step)
                 for step in head]
        stored = self.store_header['steps']
        if steps != stored:
            differ = next((f'{a} (store) vs {b} (config)' for a, b in zip(stored, steps)
                           if a != b), f'{stored} (store) vs {steps} (config)')
            raise PreparedStoreError(
                f'the store {self.prepared_root} was prepared with other loading/alignment '
                f'steps than this {self.split} pipeline: {differ}; prepare it again with '
                'prepare_pairs.py --config <this config>, or remove prepared_root')
        rest = pipeline[len(head):]
        lazy = 'PairedRawCrop' in [_step_name(step) for step in rest]
        return [dict(type='LoadPreparedPair', lazy=lazy)] + rest

    def _load_prepared(self) -> List[dict]:
        root = self.prepared_root
        split_info = self.store_header['splits'].get(self.split)
        if split_info is None:
            raise PreparedStoreError(
                f'the store {root} has no {self.split!r} split (it has '
                f'{sorted(self.store_header["splits"]) or "none"}); run prepare_pairs.py ... '
                f'--splits {self.split}')
        prepared = {tuple(p) for p in split_info['pairs']}
        missing = [p for p in self.pairs if p not in prepared]
        if missing:
            raise PreparedStoreError(
                f'the store {root} holds {self.split} pairs {sorted(prepared)}, not {missing}; '
                'prepare them (prepare_pairs.py --pairs) or set pairs= to what the store holds')
        split_root = osp.join(root, self.split)
        data_list, problems, excluded = [], [], 0
        for folder in sorted(glob.glob(osp.join(split_root, '*', '[0-9]*-[0-9]*'))):
            if PARTIAL_TAG in osp.basename(folder):
                continue
            try:
                meta = read_pair_meta(folder)
                info = from_json(meta['info'])
                hr, lr = int(info['hr_index']), int(info['lr_index'])
            except (OSError, ValueError, KeyError) as err:
                problems.append(Problem(folder, f'unreadable prepared pair ({err}); run '
                                        'prepare_pairs.py again'))
                continue
            if (hr, lr) not in self.pairs:
                continue
            if self._excluded(osp.basename(osp.dirname(folder)), hr) or \
                    self._excluded(osp.basename(osp.dirname(folder)), lr):
                excluded += 1
                continue
            info.update(from_json(meta['results']))
            info['prepared'] = dict(folder=folder, img=meta['img'], gt=meta['gt'],
                                    img_shape=meta['img_shape'], gt_shape=meta['gt_shape'])
            data_list.append(info)
        where = f'prepared store {root}, {self.split} split ({describe(self.store_header)})'
        self.problems = problems
        if problems:
            lines = '\n'.join(f'  {p}' for p in problems)
            if not self.skip_invalid:
                raise SRRawDatasetError(f'{where}: {len(problems)} problem(s):\n{lines}')
            warnings.warn(f'{where}: skipping {len(problems)} pair(s):\n{lines}')
        skipped = len(split_info.get('skipped', []))
        note = (f'; {skipped} pair(s) were left out at preparation, see '
                f'{osp.join(split_root, PROBLEMS_FILE)}' if skipped else '')
        if not data_list:
            raise SRRawDatasetError(f'{where}: no prepared pair matches pairs {self.pairs} '
                                    f'({excluded} excluded){note}')
        print_log(f'SRRawDataset: {len(data_list)} pairs from the {where} ({excluded} '
                  f'excluded){note}', logger='current')
        return data_list

    def _decoded_files(self, info: dict) -> List[Tuple[str, str]]:
        """(kind, info key) of the files a pair reads pixels from."""
        img_kind = 'raw' if self.input_mode == 'raw' else 'jpg'
        return [(img_kind, 'img_path'), ('jpg', 'gt_path')]

    def _index_sequence(self, seq_dir: str, raw_ext: str, jpg_cache: dict, raw_cache: dict,
                        side_cache: dict, counts: dict) -> List[Tuple[dict, List[Problem]]]:
        seq = osp.basename(seq_dir)
        jpgs = shot_paths(seq_dir, JPG_EXTENSIONS)
        raws = shot_paths(seq_dir, raw_ext)
        shots = set(jpgs) | set(raws)
        last = max(shots) if shots else 0
        if not shots:  # one line for the folder, not one per missing file of every pair
            return [(dict(img_path=None, gt_path=None),
                     [Problem(seq_dir, f'empty sequence folder (no JPG or .{raw_ext} shot); remove '
                              'it or restore its files')])]
        out = []
        for hr, lr in self.pairs:
            if self._excluded(seq, hr) or self._excluded(seq, lr):
                counts['excluded'] += 1
                continue
            if last == SHORT_SEQUENCE_LAST_SHOT and max(hr, lr) > last:
                counts['short'] += 1  # the documented 6-shot sequences: no pair, no error
                continue
            problems: List[Problem] = []

            def jpg(k: int) -> Optional[Tuple[float, Tuple[int, int]]]:
                path = jpgs.get(k)
                if path is None:
                    problems.append(self._missing(seq_dir, k, 'JPG', raws.get(k), hr, lr))
                    return None
                if path not in jpg_cache:
                    jpg_cache[path] = _jpg_header(path)
                found = jpg_cache[path]
                if isinstance(found, Problem):
                    problems.append(found)
                    return None
                return found

            tform = self._side_file(seq_dir, TFORM_FILE, side_cache, problems)
            ref = tform.reference if isinstance(tform, TformFile) else 1
            ref_head, hr_head, lr_head = jpg(ref), jpg(hr), jpg(lr)
            img_path = jpgs.get(lr)
            if self.input_mode == 'raw':
                img_path = raws.get(lr)
                if img_path is None:
                    problems.append(self._missing(seq_dir, lr, raw_ext, jpgs.get(lr), hr, lr))
                elif self.check_files != 'none':
                    if img_path not in raw_cache:
                        raw_cache[img_path] = _raw_header(img_path)
                    if raw_cache[img_path] is not None:
                        problems.append(raw_cache[img_path])
            tforms = {}
            if isinstance(tform, TformFile):
                for role, k in (('hr', hr), ('lr', lr)):
                    if k in tform.tforms:
                        tforms[role] = tform.tforms[k].tolist()
                    elif k == tform.reference:  # the reference's own warp is the identity
                        tforms[role] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
                    else:
                        problems.append(Problem(osp.join(seq_dir, TFORM_FILE),
                                                f'no entry {tform.reference:05d}-{k:05d} (run '
                                                'tools/dataset_converters/srraw/compute_tform.py)'))
            gains = self._side_file(seq_dir, WB_FILE, side_cache, problems)
            needed_wb = (hr, lr) if self.input_mode == 'rgb' else (hr, )
            if isinstance(gains, dict):
                for k in needed_wb:
                    if k not in gains:
                        problems.append(Problem(osp.join(seq_dir, WB_FILE),
                                                f'no entry {k:05d} (run tools/dataset_converters/'
                                                'srraw/compute_wb.py)'))
            if ref_head and hr_head and lr_head:
                (f_ref, s_ref), (f_hr, s_hr), (f_lr, s_lr) = ref_head, hr_head, lr_head
                if not f_ref >= f_hr >= f_lr:
                    problems.append(Problem(jpgs[hr], f'EXIF focal lengths out of order: '
                                            f'{ref:05d} {f_ref} mm, HR {hr:05d} {f_hr} mm, LR '
                                            f'{lr:05d} {f_lr} mm (expected decreasing)'))
            if problems:
                out.append((dict(img_path=img_path, gt_path=jpgs.get(hr)), problems))
                continue
            info = dict(
                img_path=img_path,
                gt_path=jpgs[hr],
                sequence=f'{self.split}/{seq}',
                hr_index=hr,
                lr_index=lr,
                scale=self.scale,
                input_mode=self.input_mode,
                focal_lengths=dict(reference=f_ref, hr=f_hr, lr=f_lr),
                frame_shapes=dict(reference=s_ref, hr=s_hr, lr=s_lr),
                tforms=tforms,
                wb_gains=tuple(gains[hr]))
            if lr in gains:
                info['img_wb_gains'] = tuple(gains[lr])
            if self.input_mode == 'raw':
                info['lr_jpg_path'] = jpgs[lr]  # the LR shot's camera JPG (ref_mode='lr_jpg')
            out.append((info, []))
        return out

    @staticmethod
    def _missing(seq_dir: str, k: int, ext: str, partner: Optional[str], hr: int,
                 lr: int) -> Problem:
        path = osp.join(seq_dir, f'{k:05d}.{ext}')
        if partner is not None:
            return Problem(path, f'missing {ext} partner of {osp.basename(partner)}')
        return Problem(path, f'missing shot {k:05d} (no JPG, no RAW), needed by pair (HR {hr}, '
                       f'LR {lr})')

    @staticmethod
    def _side_file(seq_dir: str, name: str, cache: dict,
                   problems: List[Problem]) -> Union[None, TformFile, dict]:
        path = osp.join(seq_dir, name)
        if path not in cache:
            tool = 'compute_tform.py' if name == TFORM_FILE else 'compute_wb.py'
            if not osp.isfile(path):
                cache[path] = Problem(path, f'missing {name} (run tools/dataset_converters/srraw/'
                                      f'{tool})')
            else:
                try:
                    cache[path] = read_tform(path) if name == TFORM_FILE else read_wb(path)
                except (ValueError, OSError) as err:
                    cache[path] = Problem(path, f'unreadable {name} ({err})')
        found = cache[path]
        if isinstance(found, Problem):
            problems.append(found)
            return None
        return found

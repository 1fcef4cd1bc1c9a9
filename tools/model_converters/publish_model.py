#!/usr/bin/env python
"""Turn a training checkpoint into a published model file (OpenMMLab model-zoo convention).

    python tools/model_converters/publish_model.py IN.pth OUT_DIR/NAME.pth [--trust]

Keeps only ``state_dict`` and a small ``meta`` (no optimizer, message hub or numpy objects), so the
result loads with ``torch.load(weights_only=True)`` anywhere, and renames it
``NAME_<YYYYMMDD>-<sha256[:8]>.pth``. The input is loaded weights-only; ``--trust`` allows full
unpickling for a checkpoint of known origin that holds other objects.
"""
import datetime
import hashlib
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402

import mmzoom  # noqa: E402,F401  (allow-lists MMEngine checkpoint classes)
from mmzoom.utils.checkpoint import explain_load_error, is_weights_only_error  # noqa: E402
from mmzoom.utils.cli import CliError, OneLineParser, require_file, run_cli  # noqa: E402

META_KEYS = ('mmengine_version', 'mmzoom_version', 'epoch', 'iter', 'cfg', 'dataset_meta',
             'experiment_name', 'time')


def publish(src: str, dst: str, trust: bool = False) -> str:
    """Write the stripped checkpoint and return its final, hash-stamped path."""
    try:
        ckpt = torch.load(src, map_location='cpu', weights_only=not trust)
    except Exception as err:
        if is_weights_only_error(err):
            raise CliError(explain_load_error(src, err)) from err
        raise CliError(f'{src}: not a readable checkpoint ({type(err).__name__}: {err})') from err
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise CliError(f'{src}: holds no state_dict of tensors')
    meta = {k: v for k, v in (ckpt.get('meta') or {}).items() if k in META_KEYS}
    meta['mmzoom_version'] = mmzoom.__version__
    out = {'state_dict': {k: v.cpu() for k, v in state.items()}, 'meta': meta}
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = dst + '.tmp'
    torch.save(out, tmp)
    with open(tmp, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:8]
    stem = osp.splitext(dst)[0]
    final = f'{stem}_{datetime.date.today():%Y%m%d}-{sha}.pth'
    os.replace(tmp, final)
    return final


def main(argv: Optional[List[str]] = None) -> None:
    parser = OneLineParser(description='Strip a checkpoint for publishing')
    parser.add_argument('in_file')
    parser.add_argument('out_file', help='OUT_DIR/NAME.pth; the date and hash are appended')
    parser.add_argument('--trust', action='store_true',
                        help='unpickle everything (only for checkpoints of known origin)')
    args = parser.parse_args(argv)
    final = publish(require_file(args.in_file, 'checkpoint'), args.out_file, args.trust)
    print(f'published {final}')


if __name__ == '__main__':
    run_cli(main)

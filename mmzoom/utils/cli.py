"""What tools/train.py, tools/test.py and the demo share: argument errors as one line, config
loading with readable failures, and the launcher set-up that lets distributed runs work on CPU."""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import Config, DictAction


class CliError(Exception):
    """A user error that the tools print as one line, without a traceback."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is reported in one line (usage is in ``--help``)."""

    def error(self, message: str) -> None:  # noqa: D401
        self.exit(2, f'{self.prog}: error: {message} (see --help)\n')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--work-dir', help='where logs, checkpoints and images go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={},
        help='override config entries, e.g. train_cfg.max_iters=10 model.generator.mid_channels=32')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher (tools/dist_*.sh and tools/slurm_*.sh set it)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help=argparse.SUPPRESS)


def load_config(path: str, cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """Read a config, apply ``--cfg-options`` and settle ``work_dir``; errors as :class:`CliError`."""
    if not osp.isfile(path):
        raise CliError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:  # syntax errors, bad _base_ paths, missing plugins ...
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CliError(f'cannot read config {path}: {type(err).__name__}: {first}') from err
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def require_file(path: str, what: str) -> str:
    if not osp.isfile(path):
        raise CliError(f'{what} not found: {path}')
    return path


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` for ``launcher``; on machines without CUDA, run distributed jobs on gloo.

    MMEngine 0.10.7's launcher always calls ``torch.cuda.set_device`` and MMagic's runtime asks for
    NCCL, so a CPU-only ``torchrun`` would die before training. Without CUDA this initialises the
    gloo process group itself (the Runner then skips its own init) and wraps the model in DDP
    without device ids.
    """
    cfg.launcher = launcher
    if launcher == 'none':
        return
    import torch
    import torch.distributed as dist
    if torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise CliError(f'--launcher {launcher} needs CUDA; on CPU use tools/dist_train.sh '
                       '(torchrun, --launcher pytorch)')
    if not dist.is_initialized():
        missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
                   if k not in os.environ]
        if missing:
            raise CliError('--launcher pytorch expects torchrun\'s environment (missing '
                           f'{", ".join(missing)}); start it with tools/dist_train.sh')
        dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {})
    cfg.env_cfg['dist_cfg'] = dict(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def finish_distributed() -> None:
    """Let every rank finish, then tear the process group down before the interpreter exits.

    Exiting with a live gloo group lets its threads outlive Python's shutdown; a rank then dies
    with "terminate called without an active exception" (SIGABRT) after a run that succeeded,
    and torchrun reports the job as failed.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def user_error(err: BaseException, cfg=None) -> Optional[CliError]:
    """An error about the user's data or set-up, raised inside MMEngine (dataset building, a
    metric's weights, a RAW file decoded by a loader worker), as a :class:`CliError` holding its
    own message; None for any other error (a bug, whose traceback must stay).

    MMEngine's registry re-raises build errors as ``type(err)('class `X` in module.py: ...')``
    and torch's DataLoader re-raises a worker's error with the worker's traceback in the
    message; both wrappers are removed. With ``cfg``, a patch larger than a pair's region names
    the config keys of the patch sizes.
    """
    import re

    from mmzoom.datasets import PreparedStoreError, SRRawDatasetError
    from mmzoom.raw import RawReadError
    from mmzoom.datasets.transforms import PatchSizeError
    from mmzoom.models.editors import ReferenceUnavailable
    from mmzoom.utils.checkpoint import CheckpointMismatch, PretrainedWeightsMissing
    known = (PreparedStoreError, SRRawDatasetError, PretrainedWeightsMissing, RawReadError,
             CheckpointMismatch, PatchSizeError, ReferenceUnavailable)
    msg = str(err)
    worker = re.search(r'Caught (\w+) in DataLoader worker', msg)
    if not isinstance(err, known) and not (worker and worker.group(1) in
                                           {k.__name__ for k in known}):
        return None
    if 'Original Traceback' in msg:  # a DataLoader worker's error: its last line is the message
        msg = msg.strip().splitlines()[-1]
        msg = re.sub(r'^[\w.]*(Error|Missing): ', '', msg)
    msg = re.sub(r'^class `\w+` in [\w./]+\.py: ', '', msg)
    if 'aligned LR region of' in msg and cfg is not None:
        keys = [f'{loader}.dataset.pipeline.{i}.gt_patch_size'
                for loader in ('train_dataloader', 'val_dataloader')
                for i, step in enumerate((cfg.get(loader) or {}).get('dataset', {})
                                         .get('pipeline', []))
                if isinstance(step, dict) and step.get('type') == 'PairedRawCrop']
        if keys:
            msg += f' (the config keys: {", ".join(keys)})'
    return CliError(msg)


def run_cli(main, argv: Optional[List[str]] = None) -> None:
    """Call ``main(argv)`` and turn :class:`CliError` into a one-line message and exit code 2."""
    try:
        main(argv)
    except CliError as err:
        if os.environ.get('MMZOOM_DEBUG'):  # the traceback, for a bug report
            raise
        sys.stderr.write(f'error: {err}\n')
        sys.exit(2)

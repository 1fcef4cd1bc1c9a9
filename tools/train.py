#!/usr/bin/env python
"""Train a model from a config with MMEngine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG NUM_PROCS [...]   # distributed (torchrun), CPU or GPU
"""
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

import mmzoom  # noqa: E402,F401  (first: registers modules, patches numpy, allow-lists ckpt classes)
from mmzoom.utils.checkpoint import (CheckpointMismatch, check_checkpoint_matches,  # noqa: E402
                                     explain_load_error, is_weights_only_error, read_state_dict)
from mmzoom.utils.cli import (CliError, OneLineParser, add_common_args,  # noqa: E402
                              finish_distributed, user_error, load_config, require_file, run_cli,
                              setup_launcher)


def parse_args(argv: Optional[List[str]]):
    parser = OneLineParser(description='Train a model with MMEngine\'s Runner')
    parser.add_argument('config', help='train config file')
    parser.add_argument(
        '--resume', nargs='?', const='auto', metavar='CKPT',
        help='resume from CKPT, or without a value from the latest checkpoint in work_dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual batch size / auto_scale_lr.base_batch_size')
    parser.add_argument('--allow-partial', action='store_true',
                        help='let load_from load a checkpoint that does not match the model '
                        '(matching keys only), as when initialising x4 from x2')
    add_common_args(parser)
    return parser.parse_args(argv)


def too_few_samples(runner, cfg) -> str:
    """The one line for MMEngine's 'epoch_length must be a positive integer' (a training set
    smaller than one batch, with drop_last)."""
    loader = cfg.train_dataloader
    try:
        n = len(runner.train_dataloader.dataset)
    except Exception:  # noqa: BLE001  (the loop failed to build: count the dataset itself)
        from mmagic.registry import DATASETS
        n = len(DATASETS.build(loader.dataset))
    world = runner.world_size
    per_rank = f' per process ({world} processes)' if world > 1 else ''
    return (f'the training set has {n} samples{per_rank}, fewer than one batch of '
            f'train_dataloader.batch_size={loader.batch_size} with drop_last=True, so an epoch '
            'has no iteration; lower the batch size, set train_dataloader.drop_last=False, or '
            'add data')


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    setup_launcher(cfg, args.launcher)

    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, require_file(args.resume, 'checkpoint to resume')
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise CliError(f'{args.config} has no auto_scale_lr.base_batch_size to scale from')
        cfg.auto_scale_lr.enable = True

    if args.allow_partial:
        cfg.model.allow_partial_load = True
    partial = args.allow_partial or cfg.model.get('allow_partial_load', False)
    if cfg.get('load_from') and not cfg.get('resume'):
        require_file(cfg.load_from, 'load_from checkpoint')
        try:
            read_state_dict(cfg.load_from)  # a truncated file: one line
        except CheckpointMismatch as err:
            raise CliError(str(err)) from err

    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    if cfg.get('load_from') and not cfg.get('resume') and not partial:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        try:  # any model, also those without mmzoom's loading guard
            check_checkpoint_matches(model, cfg.load_from)
        except CheckpointMismatch as err:
            raise CliError(f'load_from {err}') from err
    try:
        runner.train()
    except Exception as err:
        if is_weights_only_error(err):
            raise CliError(explain_load_error(cfg.load_from or cfg.work_dir, err)) from err
        if isinstance(err, AssertionError) and 'epoch_length' in str(err):
            raise CliError(too_few_samples(runner, cfg)) from err
        raise user_error(err, cfg) or err
    finish_distributed()


if __name__ == '__main__':
    run_cli(main)

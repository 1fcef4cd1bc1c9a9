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
from mmzoom.utils.checkpoint import explain_load_error, is_weights_only_error  # noqa: E402
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
    add_common_args(parser)
    return parser.parse_args(argv)


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

    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
    except Exception as err:
        if is_weights_only_error(err):
            raise CliError(explain_load_error(cfg.load_from or cfg.work_dir, err)) from err
        raise user_error(err) or err
    finish_distributed()


if __name__ == '__main__':
    run_cli(main)

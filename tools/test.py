#!/usr/bin/env python
"""Evaluate a checkpoint on a config's test set with MMEngine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
    python tools/test.py CONFIG none     # a model without parameters (bicubic)
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [...]
"""
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

import mmzoom  # noqa: E402,F401
from mmzoom.utils.checkpoint import (CheckpointMismatch, check_checkpoint_matches,  # noqa: E402
                                     explain_load_error, is_weights_only_error, read_state_dict)
from mmzoom.utils.cli import (CliError, OneLineParser, add_common_args,  # noqa: E402
                              finish_distributed, user_error, load_config, require_file, run_cli,
                              setup_launcher)


def parse_args(argv: Optional[List[str]]):
    parser = OneLineParser(description='Test a checkpoint with MMEngine\'s Runner')
    parser.add_argument('config', help='test config file')
    parser.add_argument('checkpoint', help='checkpoint file, or "none" for a model without '
                        'parameters (e.g. configs/bicubic/)')
    parser.add_argument('--out', help='also dump the metrics to this JSON file')
    parser.add_argument('--allow-partial', action='store_true',
                        help='load a checkpoint that does not match the model (matching keys only)')
    parser.add_argument('--no-lpips', action='store_true',
                        help='evaluate without the LPIPS metrics (they need torchvision\'s '
                        'backbone weights, which cannot be downloaded offline); the other '
                        'metrics keep their names and meaning')
    add_common_args(parser)
    return parser.parse_args(argv)


def drop_metrics(cfg, key: str, unwanted) -> int:
    """Remove the metrics for which ``unwanted(metric_cfg)`` holds from ``cfg[key]`` (an
    Evaluator dict, a list of them as in MMagic's multi-set tests, or a list of metric dicts);
    returns how many were removed."""
    def prune(node):
        if isinstance(node, dict) and 'metrics' in node:
            kept = [m for m in node['metrics'] if not unwanted(m)]
            removed = len(node['metrics']) - len(kept)
            node['metrics'] = kept
            return removed
        if isinstance(node, (list, tuple)):
            if node and all(isinstance(m, dict) and 'metrics' not in m for m in node):
                kept = [m for m in node if not unwanted(m)]
                removed = len(node) - len(kept)
                node[:] = kept
                return removed
            return sum(prune(n) for n in node)
        return 0

    return prune(cfg.get(key))


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    no_checkpoint = args.checkpoint.lower() == 'none'
    cfg.load_from = None if no_checkpoint else require_file(args.checkpoint, 'checkpoint')
    if args.allow_partial:
        cfg.model.allow_partial_load = True
    if cfg.get('test_dataloader') is None:
        raise CliError(f'{args.config} defines no test_dataloader')
    # Testing needs no training or validation parts: without them MMEngine would still build
    # the train loop (its visualisation hook asks for runner.iter) and fail on a tree that holds
    # only a test split, as a downloaded SR-RAW test set does.
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler',
                'val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg[key] = None
    setup_launcher(cfg, args.launcher)
    if args.no_lpips:
        dropped = drop_metrics(cfg, 'test_evaluator', lambda m: 'LPIPS' in str(m.get('type')))
        print(f'--no-lpips: left out {dropped} LPIPS metric(s)', flush=True)

    from mmengine.runner import Runner
    from mmzoom.apis import TileError
    try:
        if not no_checkpoint:
            read_state_dict(args.checkpoint)  # a truncated file: one line, before MMEngine
        runner = Runner.from_cfg(cfg)
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        if no_checkpoint:
            n = sum(p.numel() for p in model.parameters())
            if n:
                raise CliError(f'{args.config} builds a model with {n:,} parameters: give its '
                               'checkpoint ("none" is for models without parameters)')
        elif not args.allow_partial:
            check_checkpoint_matches(model, args.checkpoint)
        metrics = runner.test()
    except (TileError, CheckpointMismatch) as err:
        raise CliError(f'{args.checkpoint}: {err}' if str(err).startswith('the checkpoint')
                       else str(err)) from err
    except Exception as err:
        if is_weights_only_error(err):
            raise CliError(explain_load_error(args.checkpoint, err)) from err
        raise user_error(err, cfg) or err
    if metrics is None:  # MMagic's MultiTestLoop.run returns nothing; RuntimeInfoHook kept them
        timers = ('test/time', 'test/data_time')  # IterTimerHook's, not metrics
        metrics = {key[len('test/'):]: buf.current()
                   for key, buf in runner.message_hub.log_scalars.items()
                   if key.startswith('test/') and key not in timers}
    finish_distributed()
    if args.out:
        import json
        with open(args.out, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)


if __name__ == '__main__':
    run_cli(main)

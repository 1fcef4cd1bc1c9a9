#!/usr/bin/env python
"""FLOPs and parameters of a config's generator on one input of a given size.

    python tools/analysis_tools/get_flops.py CONFIG --shape H W [--channels 3] [--table]

Counted by MMEngine's ``get_model_complexity_info`` (fvcore's convention: one fused
multiply-add counts as one FLOP, so the figure is a MAC count; operators it has no rule for,
such as pixel shuffle or sigmoid, add nothing and are listed in its warnings). ``H W`` is the
size of the low-resolution input. The last lines are ``flops: <int>`` and ``params: <int>``.
"""
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # a checkout

import mmzoom  # noqa: E402,F401
from mmzoom.utils.cli import CliError, OneLineParser, load_config, run_cli  # noqa: E402


def main(argv: Optional[List[str]] = None) -> None:
    from mmengine.config import DictAction
    parser = OneLineParser(description='FLOPs of the generator a config builds')
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'), required=True,
                        help='height and width of the (low-resolution) input')
    parser.add_argument('--channels', type=int, default=3, help='input channels (default: 3)')
    parser.add_argument('--table', action='store_true', help='also print the per-module table')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries, e.g. model.generator.num_groups=10')
    args = parser.parse_args(argv)
    if min(args.shape) < 1 or args.channels < 1:
        raise CliError(f'--shape and --channels must be positive, got {args.shape} '
                       f'and {args.channels}')
    cfg = load_config(args.config, args.cfg_options)

    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    from count_params import build_model_from_config
    model = build_model_from_config(cfg)
    # The editor's forward needs data samples; the generator is the network to measure.
    net = getattr(model, 'generator', model).eval()

    import torch
    from mmengine.analysis import get_model_complexity_info
    h, w = args.shape
    with torch.no_grad():
        info = get_model_complexity_info(net, input_shape=(args.channels, h, w),
                                         show_table=args.table, show_arch=False)
    if args.table:
        print(info['out_table'])
    print(f'config: {args.config}')
    print(f'generator: {type(net).__name__}, input 1x{args.channels}x{h}x{w}')
    print(f'flops (multiply-adds): {info["flops_str"]}')
    print(f'flops: {int(info["flops"])}')
    print(f'params: {int(info["params"])}')


if __name__ == '__main__':
    run_cli(main)

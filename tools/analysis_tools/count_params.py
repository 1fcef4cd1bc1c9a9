#!/usr/bin/env python
"""Count the parameters of the model a config builds, in total and per top-level submodule.

    python tools/analysis_tools/count_params.py CONFIG [--cfg-options k=v ...]

Works with any MMagic-style config (mmzoom's, or one inheriting MMagic's). The last line is
``params: <int>`` (all parameters, trainable or not) for scripts to read.
"""
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # a checkout

import mmzoom  # noqa: E402,F401  (registers mmzoom's modules in MMagic's registries)
from mmzoom.utils.cli import CliError, OneLineParser, load_config, run_cli  # noqa: E402


def build_model_from_config(cfg):
    """Build ``cfg.model`` with MMagic's registry (honouring ``custom_imports``), on the CPU."""
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    from mmagic.registry import MODELS
    if cfg.get('model') is None:
        raise CliError('the config defines no model')
    try:
        return MODELS.build(cfg.model)
    except Exception as err:  # a wrong type name or argument: say which, in one line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CliError(f'cannot build the model: {type(err).__name__}: {first}') from err


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def main(argv: Optional[List[str]] = None) -> None:
    from mmengine.config import DictAction
    parser = OneLineParser(description='Count the parameters of the model a config builds')
    parser.add_argument('config', help='config file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries, e.g. model.generator.num_groups=10')
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    model = build_model_from_config(cfg)

    rows = []
    for name, child in model.named_children():
        rows.append((name, count(child)))
        # One level deeper where a part has parts (the generator's trunk, upsampler, ...).
        for sub_name, sub in child.named_children():
            rows.append((f'  {sub_name}', count(sub)))
    width = max([len(r[0]) for r in rows] + [6])
    print(f'config: {args.config}')
    print(f'model: {type(model).__name__}')
    for name, n in rows:
        print(f'{name:<{width}}  {n:>12,}')
    print(f'params: {count(model)}')


if __name__ == '__main__':
    run_cli(main)

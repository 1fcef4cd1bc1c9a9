#!/usr/bin/env python
"""Time and peak memory of SDAN's inference references on one RAW file, as the pipeline and the
tiled inference make them.

    python tools/analysis_tools/benchmark_references.py RAW [--config CFG] [--tile 256]

Rows, each in a fresh process (peak RSS is its own): loading the mosaic (``LoadRawFromFile``),
the white-balance gains a bare RAW file needs (``ComputeWbGains``, two half-size LibRaw renders),
and for ``self_ref='gamma'`` and ``'render'`` the reference of the whole frame at once and of
every ``--tile`` x ``--tile`` tile in turn (what tiled inference does: each tile's reference
with its 2 px margin, never the whole frame). A 42 MP Sony ARW or a DNG from
``make_demo_dataset.py --size 5304 7952`` is a real-size input.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')
ROWS = ('load', 'wb_gains', 'gamma_whole', 'gamma_tiled', 'render_whole', 'render_tiled')


def child(args) -> None:
    import resource
    import time

    sys.path.insert(0, ROOT)
    import torch
    import mmzoom  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmagic.registry import MODELS
    from mmagic.structures import DataSample
    from mmzoom.apis.sdan_tiling import LocalReference
    from mmzoom.apis.tiles import Region
    from mmzoom.datasets.transforms import ComputeWbGains, LoadRawFromFile
    from mmzoom.models.editors.sdan import RENDER_KEYS

    init_default_scope('mmagic')
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    results = LoadRawFromFile()(dict(img_path=args.raw))
    if args.row == 'wb_gains':
        start = time.perf_counter()
        ComputeWbGains()(results)
    elif args.row != 'load':
        results['img_wb_gains'] = (1.0, 1.0, 1.0, 1.0)  # the gains' cost is its own row
        cfg = Config.fromfile(args.config)
        self_ref, how = args.row.split('_')
        cfg.model.test_cfg.update(ref_mode='self', self_ref=self_ref)
        model = MODELS.build(cfg.model).eval()
        x = torch.from_numpy(results['img'][..., 0] / 255.0)[None, None]
        meta = DataSample(metainfo={k: [results[k]] for k in RENDER_KEYS})
        start = time.perf_counter()
        with torch.no_grad():
            if how == 'whole':
                model.self_reference(x, meta)
            else:
                params = model.render_params(meta, 1) if self_ref == 'render' else None
                ref = LocalReference(x, lambda t: model.self_reference(t, params=params))
                h, w = x.shape[-2:]
                for y in range(0, h, args.tile):
                    for x0 in range(0, w, args.tile):
                        ref(Region(y, min(h, y + args.tile), x0, min(w, x0 + args.tile)))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    h, w = results['img'].shape[:2]
    print(json.dumps(dict(row=args.row, seconds=seconds, peak=peak * 1024, before=base * 1024,
                          mp=h * w / 1e6)))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('raw', help='a Bayer RAW file (ARW, DNG, ...)')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--tile', type=int, default=256, help='tile side, input px')
    parser.add_argument('--rows', nargs='+', choices=ROWS, default=list(ROWS))
    parser.add_argument('--row', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.row:
        child(args)
        return 0
    if not osp.isfile(args.raw):
        print(f'error: RAW file not found: {args.raw}', file=sys.stderr)
        return 1
    print(f'{args.raw}, tiles of {args.tile} px\n')
    print('| step | wall s | peak RSS GB |')
    print('| --- | --- | --- |')
    for row in args.rows:
        proc = subprocess.run([sys.executable, __file__, args.raw, '--config', args.config,
                               '--tile', str(args.tile), '--row', row],
                              capture_output=True, text=True)
        if proc.returncode:
            tail = (proc.stderr.strip().splitlines() or ['?'])[-1]
            print(f'| {row} | failed: {tail} | |')
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f'| {row} ({r["mp"]:.1f} MP) | {r["seconds"]:.2f} | {r["peak"] / 2**30:.2f} |',
              flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

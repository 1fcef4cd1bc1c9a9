#!/usr/bin/env python
"""Parameters and inference time of RNAN, RDN and EDSR side by side, in one run.

    python tools/analysis_tools/benchmark_sisr.py [--size H W] [--batch N] [--warmup 2]
                                                   [--repeat 5] [--device cpu cuda]
                                                   [--models rnan rdn edsr] [--threads N]

Each generator comes from its x4 config (RNAN: configs/rnan/, RDN and EDSR: MMagic's paper
configs through configs/rdn/ and configs/edsr/), in eval mode with random weights (speed does
not depend on the values). Every device (default: the CPU, and CUDA when there is one) runs
every model on the same random LR input under ``torch.inference_mode``: ``--warmup`` untimed
runs, then the median of ``--repeat`` timed runs (CUDA synchronised around each), the models
taking turns run by run. One progress line per measurement goes to stderr, the table to stdout.

On a shared or busy machine, ``--threads 1`` gives steadier numbers: with more threads than free
cores, OpenMP threads wait on each other and single runs can take several times longer.
"""
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)  # run from a checkout
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import mmzoom  # noqa: E402,F401
from mmzoom.utils.cli import CliError, OneLineParser, load_config, run_cli  # noqa: E402

MODELS_X4: Dict[str, str] = {
    'rnan': 'configs/rnan/rnan_x4c64g20b10_1xb16-1000k_div2k.py',
    'rdn': 'configs/rdn/rdn_x4c64b16_1xb16-1000k_div2k.py',
    'edsr': 'configs/edsr/edsr_x4c64b16_1xb16-300k_div2k.py',
}


def build_generator(config: str):
    from count_params import build_model_from_config
    cfg = load_config(osp.join(ROOT, config))
    return build_model_from_config(cfg).generator.eval()


def time_once(net, x) -> float:
    """Seconds for one forward pass of ``net(x)`` (CUDA synchronised before and after)."""
    import torch
    cuda = x.device.type == 'cuda'
    if cuda:
        torch.cuda.synchronize(x.device)
    start = time.perf_counter()
    net(x)
    if cuda:
        torch.cuda.synchronize(x.device)
    return time.perf_counter() - start


def time_models(nets: Dict[str, object], x, warmup: int, repeat: int) -> Dict[str, List[float]]:
    """``repeat`` timings per model after ``warmup`` untimed runs each.

    The models take turns, one run each per round, so that anything else the machine does
    during the measurement slows all of them alike instead of whichever happens to run then.
    """
    import torch
    dev = x.device.type
    times: Dict[str, List[float]] = {name: [] for name in nets}
    with torch.inference_mode():
        for i in range(warmup + repeat):
            for name, net in nets.items():
                elapsed = time_once(net, x)
                phase = (f'warm-up {i + 1}/{warmup}' if i < warmup else
                         f'run {i - warmup + 1}/{repeat}')
                sys.stderr.write(f'[{name} x4 | {dev}] {phase}: {elapsed * 1000:.1f} ms\n')
                sys.stderr.flush()
                if i >= warmup:
                    times[name].append(elapsed)
    return times


def main(argv: Optional[List[str]] = None) -> None:
    parser = OneLineParser(description='Parameters and inference time of RNAN, RDN and EDSR (x4)')
    parser.add_argument('--size', type=int, nargs=2, default=[64, 64], metavar=('H', 'W'),
                        help='LR input size (default: 64 64)')
    parser.add_argument('--batch', type=int, default=1, help='batch size (default: 1)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed runs (default: 2)')
    parser.add_argument('--repeat', type=int, default=5, help='timed runs (default: 5)')
    parser.add_argument('--device', nargs='+', help='devices (default: cpu, and cuda if present)')
    parser.add_argument('--models', nargs='+', default=list(MODELS_X4), choices=list(MODELS_X4),
                        help='models to compare (default: all)')
    parser.add_argument('--threads', type=int, help='CPU threads (default: torch\'s choice)')
    parser.add_argument('--channels-last', action='store_true',
                        help='give every model NHWC weights and input (RNAN does this by itself '
                        'on CPU; this lets RDN and EDSR run in that layout too)')
    args = parser.parse_args(argv)
    if min(args.size) < 1 or args.batch < 1 or args.repeat < 1 or args.warmup < 0:
        raise CliError('--size, --batch and --repeat must be positive, --warmup >= 0')

    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = args.device or (['cpu'] + (['cuda'] if torch.cuda.is_available() else []))
    for dev in devices:
        if dev.startswith('cuda') and not torch.cuda.is_available():
            raise CliError(f'device {dev} asked for, but torch sees no CUDA device')

    torch.manual_seed(0)
    h, w = args.size
    x_cpu = torch.rand(args.batch, 3, h, w)
    nets = {name: build_generator(MODELS_X4[name]) for name in args.models}
    if args.channels_last:
        x_cpu = x_cpu.contiguous(memory_format=torch.channels_last)
        nets = {name: net.to(memory_format=torch.channels_last) for name, net in nets.items()}
    rows = []
    for dev in devices:
        x = x_cpu.to(dev)
        for net in nets.values():
            net.to(dev)
        times = time_models(nets, x, args.warmup, args.repeat)
        for name, net in nets.items():
            params = sum(p.numel() for p in net.parameters())
            rows.append(dict(model=name, device=dev, params=params,
                             median=statistics.median(times[name]), best=min(times[name])))
            net.to('cpu')

    threads = torch.get_num_threads()
    layout = 'NHWC for all models' if args.channels_last else 'as built'
    print(f'x4 SR, input {args.batch}x3x{h}x{w}, median of {args.repeat} runs after '
          f'{args.warmup} warm-up, torch {torch.__version__}, {threads} CPU threads, '
          f'layout {layout}')
    print(f'| {"model":<6} | {"device":<6} | {"params":>12} | {"median ms":>10} | '
          f'{"best ms":>10} | {"vs rdn":>6} |')
    print(f'|{"-" * 8}|{"-" * 8}|{"-" * 14}|{"-" * 12}|{"-" * 12}|{"-" * 8}|')
    for row in rows:
        ref = [r for r in rows if r['model'] == 'rdn' and r['device'] == row['device']]
        rel = f'{row["median"] / ref[0]["median"]:.2f}x' if ref else '-'
        print(f'| {row["model"]:<6} | {row["device"]:<6} | {row["params"]:>12,} | '
              f'{row["median"] * 1000:>10.1f} | {row["best"] * 1000:>10.1f} | {rel:>6} |')


if __name__ == '__main__':
    run_cli(main)

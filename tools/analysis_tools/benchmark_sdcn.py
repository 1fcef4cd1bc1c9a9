#!/usr/bin/env python
"""Time the squared deformable convolution backends and a full SDAN training step, in one run.

    python tools/analysis_tools/benchmark_sdcn.py [--channels 64] [--size 128] [--batch 1]
                                                  [--repeats 10] [--warmup 2] [--device auto]
                                                  [--sdan-size 144] [--sdan-repeats 3]
                                                  [--sdan-attention explicit [sdpa]] [--skip-sdan]

Layer section: forward + backward (gradients of input, offset, weight and bias) of
SquaredDeformConv2d with backend 'mmcv' and 'fast' on the same weights, random input and
non-integer offsets of up to 4 px, next to the lower bound of the fast path: a plain same-size
convolution without bias followed by one grid_sample (gradients of input, grid and weight).

SDAN section: one training step (forward, L1 loss on the zoomed output and on the aligned LR image,
backward, Adam step) of the full SDANNet at batch 1 on a random mosaic crop, 4x, for each DCN
backend and each gram-attention form asked for; all rows start from the same weights.

Every row: ``--warmup`` untimed runs (1 for SDAN rows), then the median and the minimum of the
timed runs (CUDA synchronised around each; CUDA is used when present unless ``--device cpu``);
ratios use medians. On a shared CPU the minimum is the better estimate of an idle machine, so the
header line reports the load average. One progress line
per measurement goes to stderr; the table goes to stdout and its last line is
``speedup fast vs mmcv: <x>``, the layer forward + backward time ratio.
"""
import os
import os.path as osp
import statistics
import sys
import time
from typing import Callable, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # a checkout

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import mmzoom  # noqa: E402,F401
from mmzoom.models import SDANNet  # noqa: E402
from mmzoom.models.layers import SquaredDeformConv2d  # noqa: E402
from mmzoom.utils.cli import CliError, OneLineParser, run_cli  # noqa: E402

Row = Tuple[str, float, float]  # label, median s, min s


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def measure(label: str, fn: Callable[[], None], device: torch.device, warmup: int,
            repeats: int) -> Row:
    """Label, median and minimum seconds of ``repeats`` runs of ``fn()`` after ``warmup``."""
    sys.stderr.write(f'[benchmark_sdcn] {label}: {warmup} warm-up + {repeats} runs ...\n')
    sys.stderr.flush()
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    sys.stderr.write(f'[benchmark_sdcn] {label}: median {median * 1e3:.1f} ms '
                     f'(min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f})\n')
    sys.stderr.flush()
    return label, median, min(times)


def layer_rows(args, device: torch.device) -> List[Row]:
    c, s, n = args.channels, args.size, args.batch
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, s, s, generator=g).to(device).requires_grad_()
    offset = ((torch.rand(n, 2, s, s, generator=g) - 0.5) * 8).to(device).requires_grad_()
    grad_out = torch.randn(n, c, s, s, generator=g).to(device)
    torch.manual_seed(0)
    mmcv_layer = SquaredDeformConv2d(c, c, backend='mmcv').to(device)
    fast_layer = SquaredDeformConv2d(c, c, backend='fast').to(device)
    fast_layer.load_state_dict(mmcv_layer.state_dict())
    grid = (torch.rand(n, s, s, 2, generator=g) * 2 - 1).to(device).requires_grad_()
    weight = mmcv_layer.weight

    def layer_step(layer: SquaredDeformConv2d) -> Callable[[], None]:
        def step():
            out = layer(x, offset)
            torch.autograd.grad(out, [x, offset, layer.weight, layer.bias], grad_out)
        return step

    def bound_step():
        out = F.grid_sample(F.conv2d(x, weight, padding=1), grid, align_corners=False)
        torch.autograd.grad(out, [x, grid, weight], grad_out)

    shape = f'{n}x{c}x{s}x{s}'
    steps = [(f'SDCN mmcv, fwd+bwd {shape}', layer_step(mmcv_layer)),
             (f'SDCN fast, fwd+bwd {shape}', layer_step(fast_layer)),
             (f'conv + grid_sample bound, fwd+bwd {shape}', bound_step)]
    return [measure(label, fn, device, args.warmup, args.repeats) for label, fn in steps]


def sdan_rows(args, device: torch.device) -> List[Row]:
    s = args.sdan_size
    g = torch.Generator().manual_seed(1)
    mosaic = torch.rand(1, 1, s, s, generator=g).to(device)
    ref = torch.rand(1, 3, s, s, generator=g).to(device)
    target = torch.rand(1, 3, 4 * s, 4 * s, generator=g).to(device)
    torch.manual_seed(0)
    state = SDANNet().state_dict()
    rows = []
    for impl in args.sdan_attention:
        for backend in ('mmcv', 'fast'):
            net = SDANNet(dcn_backend=backend, attention_impl=impl).to(device)
            net.load_state_dict(state)
            optim = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.9, 0.99))

            def step(net=net, optim=optim):
                optim.zero_grad(set_to_none=True)
                out = net(mosaic, ref)
                loss = F.l1_loss(out.output, target) + F.l1_loss(out.aligned_lr, ref)
                loss.backward()
                optim.step()

            label = f'SDAN train step, dcn {backend}, attention {impl}, 1x1x{s}x{s} x4'
            rows.append(measure(label, step, device, 1, args.sdan_repeats))
    return rows


def main(argv: Optional[List[str]] = None) -> None:
    parser = OneLineParser(description='Time SquaredDeformConv2d backends and an SDAN train step')
    parser.add_argument('--channels', type=int, default=64, help='layer in = out channels (64)')
    parser.add_argument('--size', type=int, default=128, help='layer input height = width (128)')
    parser.add_argument('--batch', type=int, default=1, help='layer batch size (1)')
    parser.add_argument('--repeats', type=int, default=10, help='timed runs per layer row (10)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed runs per layer row (2)')
    parser.add_argument('--device', default='auto', help="auto (CUDA if present), cpu or cuda")
    parser.add_argument('--sdan-size', type=int, default=144,
                        help='mosaic crop of the SDAN step (144, the training crop)')
    parser.add_argument('--sdan-repeats', type=int, default=3, help='timed runs per SDAN row (3)')
    parser.add_argument('--sdan-attention', nargs='+', default=['explicit'],
                        choices=['explicit', 'sdpa'],
                        help="gram-attention forms for the SDAN rows (explicit; 'sdpa' is "
                        'several times slower on CPU)')
    parser.add_argument('--skip-sdan', action='store_true', help='time the layer only')
    args = parser.parse_args(argv)
    if min(args.channels, args.size, args.batch, args.repeats, args.sdan_repeats) < 1 \
            or args.warmup < 0 or args.sdan_size < 8:
        raise CliError('sizes, counts and repeats must be positive, --warmup >= 0, '
                       '--sdan-size >= 8')
    if args.device == 'auto':
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        raise CliError(f'device {args.device} asked for, but torch sees no CUDA device')
    device = torch.device(args.device)

    params = sum(p.numel() for p in SDANNet().parameters())
    rows = layer_rows(args, device)
    if not args.skip_sdan:
        rows += sdan_rows(args, device)

    load = ', load average %.2f' % os.getloadavg()[0] if hasattr(os, 'getloadavg') else ''
    threads = torch.get_num_threads()
    print(f'device {device}, {threads} CPU threads, torch {torch.__version__}{load}')
    print(f'SDANNet() parameters: {params:,}')
    width = max(len(label) for label, _, _ in rows)
    print(f'| {"measurement":<{width}} | {"median ms":>10} | {"min ms":>10} | {"vs mmcv":>7} |')
    print(f'|{"-" * (width + 2)}|{"-" * 12}|{"-" * 12}|{"-" * 9}|')
    for i, (label, median, fastest) in enumerate(rows):
        base = rows[0][1] if i < 3 else rows[i - (i - 3) % 2][1]  # the mmcv row of its group
        print(f'| {label:<{width}} | {median * 1e3:>10.1f} | {fastest * 1e3:>10.1f} | '
              f'{base / median:>6.2f}x |')
    mmcv_t, fast_t, bound_t = (median for _, median, _ in rows[:3])
    print(f'fast / (conv + grid_sample bound): {fast_t / bound_t:.2f}')
    for i in range(3, len(rows), 2):
        impl = args.sdan_attention[(i - 3) // 2]
        print(f'SDAN train step speedup fast vs mmcv (attention {impl}): '
              f'{rows[i][1] / rows[i + 1][1]:.2f}')
    print(f'speedup fast vs mmcv: {mmcv_t / fast_t:.2f}')


if __name__ == '__main__':
    run_cli(main)

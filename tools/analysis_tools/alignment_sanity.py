#!/usr/bin/env python
"""Does SDAN's alignment learn the misalignment? A short CPU training on real photos says.

    python tools/analysis_tools/alignment_sanity.py [--steps 600] [--shift 8] [--batch 8]
                                                    [--patch 128] [--seed 0] [--threads 1]
                                                    [--device auto] [--lr 2e-4]
                                                    [--eval-pairs 64] [--log-every 50]
                                                    [--mid-channels 32] [--num-blocks 4]
                                                    [--pack-size 4]

Data. scikit-image's sample photographs, as float RGB in [0, 1]. Training crops come from
astronaut, coffee, rocket and immunohistochemistry; held-out pairs from chelsea and
stereo_motorcycle (left view), photos never seen in training. A pair is built from one photo
position (top, left) and one shift (dy, dx), integers drawn uniformly from [-S, S] HR px per sample
(``--shift`` S): the ground truth GT is the ``patch`` x ``patch`` crop at (top, left); the training
target Y is the crop at (top + dy, left + dx), so ``Y[y, x] = GT[y + dy, x + dx]`` (the scene moved
by (-dy, -dx)); the input X is GT downsampled x4 (bicubic with antialiasing), so the input is
aligned with GT and misaligned with Y. The shift is drawn anew for every sample, so no fixed shift
can be absorbed by a trunk. An HR shift of 1 px is 1/4 LR px: the shifts are sub-pixel on the
input grid.

Models (all layers from mmzoom / MMagic; both built after ``torch.manual_seed(seed)``).

- SDAN: ``SDANNet(in_channels=3, out_channels=3, mid_channels, num_blocks, upscale_factor=4,
  pack_size, dcn_backend='fast')``, otherwise the full SDAN defaults (squared offsets, gram CPA,
  flip-augmented reference). Trained as the paper trains (Sec. 3.3, Eq. 6): reference Y' = Y
  downsampled to the input grid the same way as X, loss = masked Charbonnier(X~, Y, M) + masked
  Charbonnier(X', Y', M') with ``mmzoom``'s ``MaskedCharbonnierLoss`` (mean over all elements).
- Plain L1: SDANNet's trunk without the alignment module (``conv_first``, residual ``body``,
  ``conv_after_body`` with the global skip, ``upsample``, ``conv_last``, the very modules an
  ``SDANNet`` builds), with as many extra residual blocks as bring its parameter count closest to
  SDAN's. Trained with L1 against the shifted target Y (``MaskedL1Loss`` without mask).

Both losses shave a border of B = S rounded up to a multiple of 4 HR px (B / 4 LR px), where the
shifted target shows content the input cannot contain. Adam (lr ``--lr``, betas (0.9, 0.99) as
the paper), cosine decay to 1e-5 over ``--steps``; batch ``--batch``; one fresh random batch per
step. Seeds: training data ``seed``, weights ``seed``, held-out pairs ``seed + 1``.

Evaluation on ``--eval-pairs`` held-out pairs, PSNR in dB on RGB in [0, 1] (outputs clamped),
border B shaved, averaged over pairs, against the unshifted GT (what a zoom should produce) and,
for reference, against the shifted Y:

- bicubic: X upsampled x4 with bicubic interpolation;
- plain L1 model;
- SDAN self reference: the paper's inference, {X, X} (the RGB input is its own reference);
- SDAN oracle reference: Y' made from the shifted Y, as the public SDAN test code does. It uses
  the answer, so it is labelled oracle; an aligning SDAN follows Y here, not GT.

Offsets: for each held-out pair with the oracle reference, the mean learned (dy, dx) over the
interior (border B / 4 LR px shaved) where M' = 1, times 4 (HR px), against the true (dy, dx):
Pearson r, least-squares slope and intercept (learned = slope * true + intercept; an exact
alignment gives r = 1, slope 1, intercept 0) and the RMS error, per axis. With the self reference
the offsets should be near zero: their mean absolute value is reported as well. The tool reports
the figures only; it has no pass/fail threshold.

Progress lines go to stderr every ``--log-every`` steps; the header, the tables and the wall
time go to stdout. The default of 600 steps takes about 6 to 7 minutes on a 2-core CPU (about
0.6 s per step for both models together). ``--threads`` defaults to 1: these models are small, one
thread ran a step about as fast as two on the 2-core machine it was measured on, and two threads
were 5 to 10 times slower whenever another process shared the CPU; 0 leaves torch's default.
"""
import math
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # a checkout

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor, nn  # noqa: E402

import mmzoom  # noqa: E402,F401
from mmzoom.models import SDANNet  # noqa: E402
from mmzoom.models.losses.masked_losses import MaskedCharbonnierLoss, MaskedL1Loss  # noqa: E402
from mmzoom.utils.cli import CliError, OneLineParser, run_cli  # noqa: E402

SCALE = 4
TRAIN_PHOTOS = ('astronaut', 'coffee', 'rocket', 'immunohistochemistry')
HELD_OUT_PHOTOS = ('chelsea', 'stereo_motorcycle')
ETA_MIN = 1e-5


def load_photos(names: Sequence[str]) -> Dict[str, np.ndarray]:
    """scikit-image sample photos by name as float32 RGB (H, W, 3) in [0, 1]."""
    from skimage import data
    photos = {}
    for name in names:
        img = getattr(data, name)()
        if isinstance(img, tuple):  # stereo pairs: the left view
            img = img[0]
        photos[name] = np.ascontiguousarray(img[..., :3], dtype=np.float32) / 255.0
    return photos


def shifted_pair(photo: np.ndarray, top: int, left: int, patch: int,
                 shift: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """The unshifted ground truth crop and the shifted target crop of ``photo``.

    Args:
        photo (ndarray): (H, W, C).
        top, left (int): Corner of the ground truth crop.
        patch (int): Crop height = width.
        shift (tuple[int, int]): (dy, dx) in px.

    Returns:
        tuple[ndarray]: ``gt = photo[top:top + patch, left:left + patch]`` and ``target``, the crop
        at (top + dy, left + dx), so ``target[y, x] == gt[y + dy, x + dx]`` where both exist.
    """
    dy, dx = shift
    h, w = photo.shape[:2]
    for name, start in (('gt', (top, left)), ('target', (top + dy, left + dx))):
        y, x = start
        if y < 0 or x < 0 or y + patch > h or x + patch > w:
            raise ValueError(f'{name} crop at ({y}, {x}) of size {patch} leaves the {h}x{w} photo')
    gt = photo[top:top + patch, left:left + patch]
    target = photo[top + dy:top + dy + patch, left + dx:left + dx + patch]
    return gt, target


def downsample(img: Tensor) -> Tensor:
    """x1/4 bicubic with antialiasing: (N, C, H, W) -> (N, C, H/4, W/4), clamped to [0, 1]."""
    return F.interpolate(img, scale_factor=1 / SCALE, mode='bicubic', align_corners=False,
                         antialias=True).clamp(0, 1)


def sample_pairs(photos: Sequence[np.ndarray], n: int, patch: int, max_shift: int,
                 rng: np.random.Generator) -> Dict[str, Tensor]:
    """``n`` random pairs: a random photo, position and shift in [-max_shift, max_shift] each.

    Returns:
        dict: ``lr`` X (n, 3, p/4, p/4), ``ref`` Y' (n, 3, p/4, p/4), ``gt`` (n, 3, p, p),
        ``target`` Y (n, 3, p, p) and ``shift`` (n, 2) as (dy, dx) HR px, float.
    """
    gts, targets, shifts = [], [], []
    for _ in range(n):
        photo = photos[rng.integers(len(photos))]
        h, w = photo.shape[:2]
        top = int(rng.integers(max_shift, h - patch - max_shift + 1))
        left = int(rng.integers(max_shift, w - patch - max_shift + 1))
        shift = tuple(int(v) for v in rng.integers(-max_shift, max_shift + 1, size=2))
        gt, target = shifted_pair(photo, top, left, patch, shift)
        gts.append(gt)
        targets.append(target)
        shifts.append(shift)

    def stack(crops: List[np.ndarray]) -> Tensor:
        return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()

    gt, target = stack(gts), stack(targets)
    return dict(lr=downsample(gt), ref=downsample(target), gt=gt, target=target,
                shift=torch.tensor(shifts, dtype=torch.float64))


class PlainTrunk(nn.Module):
    """SDANNet's zoom trunk without alignment: X -> X~ (N, 3, h, w) -> (N, 3, 4h, 4w).

    The modules are the ones an ``SDANNet(in_channels=3, out_channels=3, mid_channels,
    num_blocks)`` builds (its alignment module is dropped), composed as SDANNet composes them.
    """

    def __init__(self, mid_channels: int, num_blocks: int) -> None:
        super().__init__()
        donor = SDANNet(in_channels=3, out_channels=3, mid_channels=mid_channels,
                        num_blocks=num_blocks, upscale_factor=SCALE, attention='none',
                        flip_ref=False, dcn_backend='fast')
        self.conv_first = donor.conv_first
        self.body = donor.body
        self.conv_after_body = donor.conv_after_body
        self.upsample = donor.upsample
        self.conv_last = donor.conv_last

    def forward(self, x: Tensor) -> Tensor:
        feat = self.conv_first(x)
        feat = feat + self.conv_after_body(self.body(feat))
        return self.conv_last(self.upsample(feat))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_models(args, device: torch.device) -> Tuple[SDANNet, PlainTrunk]:
    torch.manual_seed(args.seed)
    sdan = SDANNet(in_channels=3, out_channels=3, mid_channels=args.mid_channels,
                   num_blocks=args.num_blocks, upscale_factor=SCALE, pack_size=args.pack_size,
                   dcn_backend='fast')
    block = n_params(PlainTrunk(args.mid_channels, 1)) - n_params(PlainTrunk(args.mid_channels, 0))
    extra = round(n_params(sdan.align) / block)
    torch.manual_seed(args.seed)
    plain = PlainTrunk(args.mid_channels, args.num_blocks + extra)
    return sdan.to(device), plain.to(device)


def psnr(pred: Tensor, gt: Tensor, border: int) -> Tensor:
    """Per-image PSNR (dB) of images in [0, 1], ``border`` px shaved: (N, C, H, W) -> (N,)."""
    if border:
        inner = (Ellipsis, slice(border, -border), slice(border, -border))
        pred, gt = pred[inner], gt[inner]
    mse = (pred.clamp(0, 1).double() - gt.double()).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-12))


def fit(learned: np.ndarray, true: np.ndarray) -> Tuple[float, float, float, float]:
    """Pearson r, slope, intercept (learned ~ slope * true + intercept) and RMS error."""
    rmse = float(np.sqrt(np.mean((learned - true)**2)))
    if np.std(true) == 0 or np.std(learned) == 0:
        return float('nan'), float('nan'), float('nan'), rmse
    r = float(np.corrcoef(true, learned)[0, 1])
    slope, intercept = np.polyfit(true, learned, 1)
    return r, float(slope), float(intercept), rmse


def mean_offset(offset: Tensor, mask: Tensor, border: int) -> Tensor:
    """Mean (dy, dx) over the interior where ``mask`` is 1: (N, 2, h, w) -> (N, 2); NaN if none."""
    if border:
        offset = offset[..., border:-border, border:-border]
        mask = mask[..., border:-border, border:-border]
    total = mask.flatten(1).sum(1, keepdim=True)
    return (offset * mask).flatten(2).sum(2) / total  # 0 / 0 = nan: nothing inside


def log(msg: str) -> None:
    sys.stderr.write(f'[alignment_sanity] {msg}\n')
    sys.stderr.flush()


def train(args, sdan: SDANNet, plain: PlainTrunk, photos: List[np.ndarray],
          device: torch.device, border: int) -> Tuple[float, float]:
    """Train both models on the same batches; returns the last logged losses (sdan, plain)."""
    hr_loss = MaskedCharbonnierLoss(border=border)
    lr_loss = MaskedCharbonnierLoss(border=border // SCALE)
    l1_loss = MaskedL1Loss(border=border)
    models = (sdan, plain)
    optims = [torch.optim.Adam(m.parameters(), lr=args.lr, betas=(0.9, 0.99)) for m in models]
    scheds = [torch.optim.lr_scheduler.CosineAnnealingLR(o, args.steps,
                                                         eta_min=min(ETA_MIN, args.lr))
              for o in optims]
    rng = np.random.default_rng(args.seed)
    sums = [0.0, 0.0]
    logged = (float('nan'), float('nan'))
    start = time.perf_counter()
    for m in models:
        m.train()
    for step in range(1, args.steps + 1):
        batch = {k: v.to(device) for k, v in
                 sample_pairs(photos, args.batch, args.patch, args.shift, rng).items()}
        out = sdan(batch['lr'], batch['ref'])
        losses = [hr_loss(out.output, batch['target'], out.mask_hr)
                  + lr_loss(out.aligned_lr, batch['ref'], out.mask_lr),
                  l1_loss(plain(batch['lr']), batch['target'])]
        for i, (loss, optim, sched) in enumerate(zip(losses, optims, scheds)):
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            sched.step()
            sums[i] += loss.item()
        if step % args.log_every == 0 or step == args.steps:
            n = (step - 1) % args.log_every + 1
            logged = (sums[0] / n, sums[1] / n)
            sums = [0.0, 0.0]
            log(f'step {step}/{args.steps}  loss sdan {logged[0]:.4f}  loss plain '
                f'{logged[1]:.4f}  lr {scheds[0].get_last_lr()[0]:.2e}  '
                f'elapsed {time.perf_counter() - start:.0f} s')
    return logged


@torch.no_grad()
def evaluate(args, sdan: SDANNet, plain: PlainTrunk, pairs: Dict[str, Tensor],
             device: torch.device, border: int) -> Dict[str, object]:
    sdan.eval()
    plain.eval()
    outs = {k: [] for k in ('bicubic', 'plain', 'self', 'oracle', 'off_oracle', 'off_self')}
    n = pairs['lr'].shape[0]
    for i in range(0, n, args.batch):
        lr = pairs['lr'][i:i + args.batch].to(device)
        ref = pairs['ref'][i:i + args.batch].to(device)
        outs['bicubic'].append(F.interpolate(lr, scale_factor=SCALE, mode='bicubic',
                                             align_corners=False).cpu())
        outs['plain'].append(plain(lr).cpu())
        for mode, reference in (('self', lr), ('oracle', ref)):
            res = sdan(lr, reference)
            outs[mode].append(res.output.cpu())
            off = mean_offset(res.offset, res.mask_lr, border // SCALE) * SCALE
            outs[f'off_{mode}'].append(off.double().cpu())
    outs = {k: torch.cat(v) for k, v in outs.items()}
    rows = []
    for key, label in (('bicubic', 'bicubic upsampling'),
                       ('plain', 'plain L1 model'),
                       ('self', 'SDAN, self reference {X, X}'),
                       ('oracle', 'SDAN, ORACLE reference (Y\' from shifted Y)')):
        rows.append((label, psnr(outs[key], pairs['gt'], border).mean().item(),
                     psnr(outs[key], pairs['target'], border).mean().item()))
    true = pairs['shift'].numpy()
    learned = outs['off_oracle'].numpy()
    valid = np.isfinite(learned).all(1)
    fits = [fit(learned[valid, a], true[valid, a]) for a in (0, 1)]
    self_off = outs['off_self'].numpy()
    self_abs = np.nanmean(np.abs(self_off), axis=0)
    return dict(rows=rows, fits=fits, n_valid=int(valid.sum()), self_abs=self_abs)


def main(argv: Optional[List[str]] = None) -> None:
    parser = OneLineParser(description='Train SDAN and a plain L1 model briefly on randomly '
                           'shifted photo pairs; report PSNR and how offsets follow the shift')
    parser.add_argument('--steps', type=int, default=600, help='training steps (600)')
    parser.add_argument('--shift', type=int, default=8,
                        help='max |dy|, |dx| of the random HR shift, px (8)')
    parser.add_argument('--batch', type=int, default=8, help='batch size (8)')
    parser.add_argument('--patch', type=int, default=128,
                        help='HR crop size, a multiple of 4 * pack size (128)')
    parser.add_argument('--seed', type=int, default=0, help='seed of data and weights (0)')
    parser.add_argument('--threads', type=int, default=1,
                        help="torch CPU threads (1; 0: torch's default)")
    parser.add_argument('--device', default='auto', help='auto (CUDA if present), cpu or cuda')
    parser.add_argument('--lr', type=float, default=2e-4, help='Adam learning rate (2e-4)')
    parser.add_argument('--eval-pairs', type=int, default=64, help='held-out pairs (64)')
    parser.add_argument('--log-every', type=int, default=50, help='steps per progress line (50)')
    parser.add_argument('--mid-channels', type=int, default=32, help='feature channels (32)')
    parser.add_argument('--num-blocks', type=int, default=4, help='SDAN residual blocks (4)')
    parser.add_argument('--pack-size', type=int, default=4, help='CPA pack size K (4)')
    args = parser.parse_args(argv)
    if min(args.steps, args.batch, args.patch, args.eval_pairs, args.log_every,
           args.mid_channels, args.pack_size) < 1 or args.shift < 0 or args.num_blocks < 0 \
            or args.threads < 0 or not args.lr > 0:
        raise CliError('--steps, --batch, --patch, --eval-pairs, --log-every, --mid-channels and '
                       '--pack-size must be >= 1, --shift, --num-blocks and --threads >= 0, '
                       '--lr > 0')
    if args.patch % (SCALE * args.pack_size):
        raise CliError(f'--patch {args.patch} must be a multiple of 4 * --pack-size = '
                       f'{SCALE * args.pack_size} (the input grid must divide into packs)')
    border = -(-args.shift // SCALE) * SCALE
    if args.patch <= 2 * border:
        raise CliError(f'--patch {args.patch} leaves nothing once the {border} px border for '
                       f'--shift {args.shift} is shaved from both sides; use a larger --patch')
    if args.device == 'auto':
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        raise CliError(f'device {args.device} asked for, but torch sees no CUDA device')
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    train_photos = load_photos(TRAIN_PHOTOS)
    held_out = load_photos(HELD_OUT_PHOTOS)
    smallest = min(min(p.shape[:2]) for p in (*train_photos.values(), *held_out.values()))
    if args.patch + 2 * args.shift > smallest:
        raise CliError(f'--patch + 2 * --shift = {args.patch + 2 * args.shift} exceeds the '
                       f'smallest photo side ({smallest} px)')
    sdan, plain = build_models(args, device)
    eval_pairs = sample_pairs(list(held_out.values()), args.eval_pairs, args.patch, args.shift,
                              np.random.default_rng(args.seed + 1))

    print(f'alignment sanity: device {device}, {torch.get_num_threads()} CPU threads, '
          f'torch {torch.__version__}')
    print(f'data: x{SCALE}, HR patch {args.patch} (input {args.patch // SCALE}), random integer '
          f'HR shift (dy, dx) in [-{args.shift}, {args.shift}] per sample, target Y[y, x] = '
          f'GT[y + dy, x + dx], input X = bicubic-antialias down(GT), Y\' = down(Y)')
    print(f'photos: train {", ".join(TRAIN_PHOTOS)}; held-out {", ".join(HELD_OUT_PHOTOS)} '
          f'({args.eval_pairs} pairs)')
    print(f'training: {args.steps} steps, batch {args.batch}, Adam lr {args.lr:g} betas '
          f'(0.9, 0.99), cosine to {min(ETA_MIN, args.lr):g}, border {border} HR px / '
          f'{border // SCALE} LR px shaved in losses and PSNR')
    print(f'seeds: training data {args.seed}, weights {args.seed}, held-out pairs {args.seed + 1}')
    print(f'SDAN: SDANNet(in 3, mid {args.mid_channels}, blocks {args.num_blocks}, pack '
          f'{args.pack_size}, dcn fast, squared, gram CPA, flip ref), {n_params(sdan):,} params, '
          'loss masked Charbonnier(X~, Y, M) + masked Charbonnier(X\', Y\', M\')')
    print(f'plain: SDANNet trunk without alignment, mid {args.mid_channels}, blocks '
          f'{len(plain.body)}, {n_params(plain):,} params, loss L1(X~, Y)')
    sys.stdout.flush()

    start = time.perf_counter()
    loss_sdan, loss_plain = train(args, sdan, plain, list(train_photos.values()), device, border)
    train_s = time.perf_counter() - start
    log('evaluating on held-out pairs ...')
    res = evaluate(args, sdan, plain, eval_pairs, device, border)

    print(f'final training loss (last {args.log_every} steps): sdan {loss_sdan:.4f}, '
          f'plain {loss_plain:.4f}')
    print()
    width = max(len(label) for label, _, _ in res['rows'])
    print(f'| {"held-out PSNR (dB)":<{width}} | {"vs unshifted GT":>15} | {"vs shifted Y":>12} |')
    print(f'|{"-" * (width + 2)}|{"-" * 17}|{"-" * 14}|')
    for label, vs_gt, vs_y in res['rows']:
        print(f'| {label:<{width}} | {vs_gt:>15.2f} | {vs_y:>12.2f} |')
    print()
    print(f'learned mean offset (oracle reference, HR px) vs true shift, '
          f'{res["n_valid"]}/{args.eval_pairs} pairs:')
    print(f'| {"axis":<4} | {"pearson r":>9} | {"slope":>6} | {"intercept":>9} | '
          f'{"rms err px":>10} |')
    print(f'|{"-" * 6}|{"-" * 11}|{"-" * 8}|{"-" * 11}|{"-" * 12}|')
    for axis, (r, slope, intercept, rmse) in zip(('dy', 'dx'), res['fits']):
        print(f'| {axis:<4} | {r:>9.3f} | {slope:>6.3f} | {intercept:>9.3f} | {rmse:>10.3f} |')
    print(f'mean |offset| with self reference (HR px, ideal 0): dy {res["self_abs"][0]:.3f}, '
          f'dx {res["self_abs"][1]:.3f}')
    print(f'wall time: training {train_s:.0f} s, total {time.perf_counter() - start:.0f} s '
          'after set-up')


if __name__ == '__main__':
    run_cli(main)

"""Cross packing attention (CPA) of SDAN (Mei et al., ICME 2021, Sec. 3.2, Table 2).

Space-to-depth packing with a K x K block turns each K x K neighbourhood of a C-channel map into
C*K*K channels, so a channel attention on the packed map relates spatial neighbours as well as
channels; depth-to-space restores the layout. Channel attention treats channels as an unordered set
(permuting the packed channels permutes its output the same way), so any packing order works:
torch's pixel_unshuffle / pixel_shuffle are used.

Sizes that K does not divide are zero-padded at the bottom and right and cropped back. Zeros are
chosen (not replicated borders) because they leave both attentions exactly as if computed over the
real pixels only: a zero column adds nothing to the Gram matrix X X^T, and the squeeze step of
'se' divides each packed channel's sum by its number of real pixels.
"""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd import Function
from torch.autograd.function import once_differentiable


def _logit_floor(dtype: torch.dtype) -> float:
    # log(eps^2) of the float type the softmax runs in (float32 at least).
    return 2 * math.log(torch.finfo(torch.promote_types(dtype, torch.float32)).eps)


def gram_attention_weights(energy: Tensor) -> Tensor:
    """``A = softmax(rowmax(E) - E)`` of the Gram matrix ``E`` (N, C, C), logits clamped (see
    :func:`gram_channel_attention`). Overwrites ``energy``."""
    # rowmax(E) - E, shifted (softmax ignores shifts) so each row's largest logit is 0.
    if torch.onnx.is_in_onnx_export():  # ONNX has no ``out=``: the same, out of place
        logits = torch.clamp(energy.amin(dim=-1, keepdim=True) - energy,
                             min=_logit_floor(energy.dtype))
        return torch.softmax(logits, dim=-1)
    logits = torch.sub(energy.amin(dim=-1, keepdim=True), energy, out=energy)
    logits.clamp_(min=_logit_floor(energy.dtype))
    return torch.softmax(logits, dim=-1)


class _GramAttention(Function):
    """``softmax(rowmax(E) - E) X`` with a hand-written backward (see gram_channel_attention).

    Saves X, the weights A and the output only, and skips most of the (C, C)-sized elementwise
    passes autograd would run: the softmax gradient needs rowsum(dA * A), which equals
    rowsum(dOut * Out), an (N, C, L) product, and the logits' gradient is formed in place.
    """

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        attn = gram_attention_weights(torch.bmm(x, x.transpose(1, 2)))
        out = torch.bmm(attn, x)
        ctx.save_for_backward(x, attn, out)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor) -> Tensor:
        x, attn, out = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_x = torch.bmm(attn.transpose(1, 2), grad_out)
        # dLogits = A * (dA - rowsum(dA * A)), computed in the memory of dA = dOut X^T.
        grad_logits = torch.bmm(grad_out, x.transpose(1, 2))
        grad_logits.sub_((grad_out * out).sum(dim=-1, keepdim=True)).mul_(attn)
        # logits = shift - X X^T, so dX -= (dLogits + dLogits^T) X; as two products, because on
        # CPU adding a transposed (C, C) matrix is slower than a product.
        grad_x.baddbmm_(grad_logits, x, alpha=-1)
        return grad_x.baddbmm_(grad_logits.transpose(1, 2), x, alpha=-1)


def _gram_attention_plain(x: Tensor) -> Tensor:
    """What :class:`_GramAttention` computes, in out-of-place ops an exporter can trace (ONNX has
    no autograd Functions or ``out=`` arguments); used while ``torch.onnx.export`` runs."""
    x = x.to(torch.promote_types(x.dtype, torch.float32))
    return torch.bmm(gram_attention_weights(torch.bmm(x, x.transpose(1, 2))), x)


def gram_channel_attention(x: Tensor, impl: str = 'explicit') -> Tensor:
    """Parameter-free channel attention ``softmax(rowmax(E) - E) X`` with ``E = X X^T``.

    Softmax is unchanged by a per-row shift, so the result equals ``softmax(-X X^T) X``: attention
    with queries X, keys -X, values X and scale 1.

    ``'explicit'`` forms E and the softmax, as the public SDAN code does, with a hand-written
    backward (:class:`_GramAttention`; no double backward), and clamps each logit at
    ``2 log(eps)`` below its row's largest (eps of float32, or of float64 for float64 input).
    The weights this raises to ``eps^2`` times the row's largest total at most ``C * eps^2``
    relative, far below float rounding; left alone, they underflow to subnormal floats, which x86
    CPUs multiply up to 100x slower (a 64-channel K=8 attention at 144x144 took 47 s instead of
    1.9 s forward + backward). ``'sdpa'`` calls the fused ``F.scaled_dot_product_attention``: it
    never stores the (C, C) matrices, but its kernel cannot avoid the subnormal weights and hits
    the same CPU slowdown.

    Args:
        x (Tensor): (N, C, L), channels as rows.
        impl (str): ``'explicit'`` or ``'sdpa'``. Default: ``'explicit'``.

    Returns:
        Tensor: (N, C, L).
    """
    if impl == 'sdpa':
        q = x.unsqueeze(1)  # a heads axis: the fused CPU kernels take (N, heads, C, L)
        return F.scaled_dot_product_attention(q, -q, q, scale=1.0).squeeze(1)
    if torch.onnx.is_in_onnx_export():
        return _gram_attention_plain(x)
    if impl == 'explicit':
        # Run in float32 at least and outside autocast: the L-long dot products in E overflow
        # float16, and autocast's casts would not reach the hand-written backward.
        with torch.autocast(x.device.type, enabled=False):
            return _GramAttention.apply(
                x.contiguous().to(torch.promote_types(x.dtype, torch.float32)))
    raise ValueError(f"impl must be 'sdpa' or 'explicit', got {impl!r}")


class CrossPackingAttention(nn.Module):
    """Cross packing attention: pack K x K blocks into channels, channel attention, unpack.

    Modes:

    - ``'gram'`` (public SDAN code): with X the packed map as (N, C*K*K, H*W/K^2),
      ``out = gamma * softmax(rowmax(X X^T) - X X^T) X + X``, gamma a learnable scalar starting at
      0 (so the block starts as the identity).
    - ``'se'`` (the squeeze-excitation attention [21] the paper text cites): per packed channel,
      mean -> 1x1 conv (C*K*K -> C*K*K / reduction) -> ReLU -> 1x1 conv -> sigmoid -> rescale.

    ``pack_size=1, mode='se'`` is plain SE channel attention, the "CL-Attention" of Table 2.

    Args:
        channels (int): C, input channels.
        pack_size (int): K, side of the packed blocks. Default: 8.
        mode (str): ``'gram'`` or ``'se'``. Default: ``'gram'``.
        reduction (int): Squeeze ratio of ``'se'``. Default: 16.
        impl (str): How ``'gram'`` is computed, ``'explicit'`` or ``'sdpa'`` (fused, less memory,
            same values); see :func:`gram_channel_attention`. Default: ``'explicit'``.

    Shapes:
        x: (N, C, H, W) -> (N, C, H, W), any H, W (zero-padded to multiples of K internally)
    """

    modes = ('gram', 'se')
    impls = ('explicit', 'sdpa')

    def __init__(self,
                 channels: int,
                 pack_size: int = 8,
                 mode: str = 'gram',
                 reduction: int = 16,
                 impl: str = 'explicit') -> None:
        super().__init__()
        if mode not in self.modes:
            raise ValueError(f'mode must be one of {self.modes}, got {mode!r}')
        if impl not in self.impls:
            raise ValueError(f'impl must be one of {self.impls}, got {impl!r}')
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f'channels must be an int >= 1, got {channels!r}')
        if not isinstance(pack_size, int) or pack_size < 1:
            raise ValueError(f'pack_size must be an int >= 1, got {pack_size!r}')
        self.channels = channels
        self.pack_size = pack_size
        self.mode = mode
        self.impl = impl
        packed = channels * pack_size * pack_size
        if mode == 'gram':
            self.gamma = nn.Parameter(torch.zeros(1))
        else:
            self.register_parameter('gamma', None)
            if not isinstance(reduction, int) or not 1 <= reduction <= packed:
                raise ValueError(f'reduction must be an int in [1, {packed}] (the packed channels '
                                 f'C*K*K = {channels}*{pack_size}^2), got {reduction!r}')
            self.squeeze = nn.Conv2d(packed, packed // reduction, 1)
            self.excite = nn.Conv2d(packed // reduction, packed, 1)

    def extra_repr(self) -> str:
        return (f'{self.channels}, pack_size={self.pack_size}, mode={self.mode!r}'
                + (f', impl={self.impl!r}' if self.mode == 'gram' else ''))

    def _se_scale(self, total: Tensor, height: int, width: int) -> Tensor:
        """Excitation (N, C*K*K, 1, 1) from the per-packed-channel sums over an H x W image."""
        k = self.pack_size
        # Exporting, the sizes may be graph inputs: test the export first, so no size tensor is
        # turned into a Python bool (the exporter would freeze it).
        if k > 1 and (torch.onnx.is_in_onnx_export() or height % k or width % k):
            # Real pixels per packing phase (row phase i, column phase j); packed channel
            # c*K*K + i*K + j holds phase (i, j) of channel c.
            phase = torch.arange(k, device=total.device)
            per_row = (height - phase + k - 1) // k
            per_col = (width - phase + k - 1) // k
            count = (per_row[:, None] * per_col[None, :]).flatten().repeat(self.channels)
            mean = total / count.view(1, -1, 1, 1).to(total.dtype)
        else:
            mean = total / ((height // k) * (width // k))
        return torch.sigmoid(self.excite(torch.relu(self.squeeze(mean))))

    def _pack(self, x: Tensor) -> Tensor:
        k = self.pack_size
        pad_h, pad_w = -x.size(2) % k, -x.size(3) % k
        # An exported graph takes any size, so it always pads (by zero rows where none are due):
        # the exporter would freeze this branch at the example's size.
        if pad_h or pad_w or (k > 1 and torch.onnx.is_in_onnx_export()):
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return F.pixel_unshuffle(x, k) if k > 1 else x

    # The attention is global: the Gram matrix (or, for 'se', the channel means) sums over every
    # position of the image. The three methods below let a tiled run (mmzoom.apis) compute it over
    # tiles first and then apply the whole image's attention to each tile.

    def context_stats(self, x: Tensor) -> Tensor:
        """The additive statistic of ``x`` the attention is built from, in float64.

        Summed over tiles that partition an image, it equals that of the whole image when every
        tile starts at a multiple of K (the packing grid) and is cut at multiples of K or at the
        image's bottom/right edge.

        Args:
            x (Tensor): (N, C, h, w), a tile of the attention's input.

        Returns:
            Tensor: (N, C*K*K, C*K*K) Gram matrix for ``'gram'``, (N, C*K*K, 1, 1) sums for
            ``'se'``.
        """
        packed = self._pack(x)
        if self.mode == 'se':
            return packed.sum(dim=(2, 3), keepdim=True, dtype=torch.float64)
        flat = packed.flatten(2).to(torch.promote_types(x.dtype, torch.float32))
        return torch.bmm(flat, flat.transpose(1, 2)).double()

    def context_from_stats(self, stats: Tensor, height: int, width: int) -> Tensor:
        """The whole image's attention from the summed :meth:`context_stats` of an H x W image:
        the weights A (N, C*K*K, C*K*K) for ``'gram'``, the excitation (N, C*K*K, 1, 1) for
        ``'se'``."""
        dtype = self.gamma.dtype if self.gamma is not None else self.excite.weight.dtype
        dtype = torch.promote_types(dtype, torch.float32)
        if self.mode == 'se':
            return self._se_scale(stats.to(dtype), height, width)
        return gram_attention_weights(stats.to(dtype))

    def forward(self, x: Tensor, context: Optional[Tensor] = None) -> Tensor:
        """Apply the attention; shapes are kept.

        Args:
            x (Tensor): (N, C, H, W).
            context (Tensor, optional): attention from :meth:`context_from_stats` to apply
                instead of the one of ``x`` itself (a tile of a larger image; ``x`` must then
                start on the image's packing grid). Default: None.

        Returns:
            Tensor: (N, C, H, W).
        """
        if x.dim() != 4 or x.size(1) != self.channels:
            raise ValueError(f'CrossPackingAttention expects (N, {self.channels}, H, W), got '
                             f'{tuple(x.shape)}')
        k = self.pack_size
        height, width = x.shape[-2:]
        packed = self._pack(x)
        if self.mode == 'se':
            scale = self._se_scale(packed.sum(dim=(2, 3), keepdim=True), height, width) \
                if context is None else context.to(packed.dtype)
            out = packed * scale
        else:
            n, c, h, w = packed.shape
            flat = packed.reshape(n, c, h * w)
            if context is None:
                attended = gram_channel_attention(flat, self.impl)
            else:
                with torch.autocast(x.device.type, enabled=False):
                    attended = torch.bmm(context, flat.to(context.dtype)).to(flat.dtype)
            out = (self.gamma * attended + flat).view(n, c, h, w)
        if k > 1:
            out = F.pixel_shuffle(out, k)
        return out[..., :height, :width]

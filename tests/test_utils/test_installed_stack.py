"""The installed stack really works: compiled mmcv ops, MMagic's models/registry/inferencer."""
import torch


def test_mmcv_compiled_deform_conv_runs_forward_and_backward():
    from mmcv.ops import DeformConv2d
    conv = DeformConv2d(2, 3, 3, padding=1)
    x = torch.randn(1, 2, 5, 5, requires_grad=True)
    offset = torch.zeros(1, 18, 5, 5, requires_grad=True)
    y = conv(x, offset)
    y.sum().backward()
    # With zero offsets DCN is a plain convolution.
    ref = torch.nn.functional.conv2d(x, conv.weight, padding=1)
    assert torch.allclose(y, ref, atol=1e-5)
    assert x.grad is not None and offset.grad is not None


def test_mmagic_stack_imports_and_registry_holds_mmzoom():
    import lpips  # noqa: F401
    import mmagic.models  # noqa: F401
    import rawpy  # noqa: F401
    from mmagic.apis import MMagicInferencer  # noqa: F401
    from mmagic.registry import MODELS
    assert MODELS.get('RNANNet') is not None
    assert MODELS.get('EDSRNet') is not None  # MMagic's own entries are still there

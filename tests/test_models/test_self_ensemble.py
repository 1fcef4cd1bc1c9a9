"""SISREditModel: the x8 self-ensemble and 8-bit output at test time, for any generator."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmengine.registry import init_default_scope

from mmagic.registry import MODELS
from mmagic.structures import DataSample

init_default_scope('mmagic')  # as the Runner does: BaseModel builds its data preprocessor there

TINY_RNAN = dict(type='RNANNet', mid_channels=16, num_groups=2, num_blocks=2,
                 group_concat_interval=1, block_concat_interval=1, upscale_factor=2)


def build(test_cfg, generator=TINY_RNAN, model_type='SISREditModel'):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type=model_type, generator=generator, pixel_loss=dict(type='L1Loss'),
        test_cfg=test_cfg,
        data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.],
                               std=[255., 255., 255.]))).eval()


class PointwiseUp(nn.Module):
    """1x1 conv then nearest x2: commutes with every flip and transpose of the image."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        nn.init.uniform_(self.conv.weight, 0.1, 0.6)

    def forward(self, x):
        return F.interpolate(self.conv(x), scale_factor=2, mode='nearest')


def predict(model, lr):
    """What validation and tools/test.py do: val_step on a packed uint8 image."""
    data = dict(inputs=[lr], data_samples=[DataSample(gt_img=torch.zeros(3, 2 * lr.shape[1],
                                                                         2 * lr.shape[2]))])
    with torch.no_grad():
        return model.val_step(data)[0].output.pred_img


@pytest.fixture(scope='module')
def lr():
    torch.manual_seed(1)
    return torch.randint(0, 256, (3, 10, 13), dtype=torch.uint8)  # not square: transposes show


def test_ensemble_of_an_equivariant_generator_is_the_generator(lr):
    model = build(dict(self_ensemble=False, round_output=False))
    model.generator = PointwiseUp()
    plain = predict(model, lr)
    model.self_ensemble = True
    ens = predict(model, lr)
    assert plain.shape == (3, 20, 26) and plain.max() > 10
    torch.testing.assert_close(plain, ens, rtol=0, atol=1e-3)


def test_ensemble_is_the_mean_over_the_eight_symmetries(lr):
    model = build(dict(self_ensemble=True, round_output=False))
    x = lr[None].float() / 255
    outs = []
    with torch.no_grad():
        for flip in (False, True):
            for k in range(4):
                t = torch.rot90(x.flip(-1) if flip else x, k, dims=(-2, -1))
                y = torch.rot90(model.generator(t), -k, dims=(-2, -1))
                outs.append(y.flip(-1) if flip else y)
    # A bare 3-channel tensor counts as BGR already: no channel reordering on the way out.
    expected = (torch.stack(outs).mean(0) * 255).clamp(0, 255)[0]
    torch.testing.assert_close(predict(model, lr), expected, rtol=0, atol=1e-3)


def test_ensemble_changes_rnan_output(lr):
    model = build(dict(self_ensemble=False, round_output=False))
    plain = predict(model, lr)
    model.self_ensemble = True
    assert (plain - predict(model, lr)).abs().max() > 1e-3


def test_output_is_rounded_to_8_bits_by_default(lr):
    model = build(None)
    assert model.round_output and not model.self_ensemble
    out = predict(model, lr)
    assert torch.equal(out, out.round()) and out.min() >= 0 and out.max() <= 255
    unrounded = predict(build(dict(round_output=False)), lr)
    assert not torch.equal(unrounded, unrounded.round())
    assert (out - unrounded).abs().max() <= 0.5


def test_checkpoints_are_interchangeable_with_base_edit_model():
    base = build(dict(), model_type='BaseEditModel')
    ens = build(dict(self_ensemble=True))
    assert list(base.state_dict()) == list(ens.state_dict())
    ens.load_state_dict(base.state_dict(), strict=True)
    base.load_state_dict(ens.state_dict(), strict=True)


def test_training_forward_is_untouched(lr):
    ens = build(dict(self_ensemble=True))
    x = torch.rand(2, 3, 6, 6)
    torch.testing.assert_close(ens(x, mode='tensor'), ens.generator(x))


@pytest.mark.parametrize('key', ['self_ensemble', 'round_output'])
def test_test_cfg_switches_must_be_bools(key):
    with pytest.raises(TypeError, match=key):
        build({key: 'yes'})

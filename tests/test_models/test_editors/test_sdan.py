"""The SDAN editor: losses of Eq. (6) in training, the paper's self reference vs the oracle one."""
import pytest
import torch

from mmagic.registry import MODELS
from mmagic.structures import DataSample


def build(in_channels=1, ref_mode='self', self_ref='gamma', **gen):
    generator = dict(type='SDANNet', in_channels=in_channels, mid_channels=8, num_blocks=1,
                     pack_size=2, dcn_backend='fast', **gen)
    return MODELS.build(dict(
        type='SDAN', generator=generator,
        pixel_loss=dict(type='MaskedCharbonnierLoss', border=4),
        align_loss=dict(type='MaskedCharbonnierLoss', border=1),
        test_cfg=dict(ref_mode=ref_mode, self_ref=self_ref),
        data_preprocessor=dict(type='DataPreprocessor', mean=[0.], std=[255.],
                               data_keys=['gt_img', 'ref_img'])))


def batch(in_channels=1, n=2, h=8, w=8, s=4):
    inputs = [torch.rand(in_channels, h, w) * 255 for _ in range(n)]
    samples = [DataSample(gt_img=torch.rand(3, s * h, s * w) * 255,
                          ref_img=torch.rand(3, h, w) * 255) for _ in range(n)]
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('in_channels', [1, 3])
def test_training_losses_and_gradients(in_channels):
    model = build(in_channels)
    data = model.data_preprocessor(batch(in_channels), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_hr', 'loss_lr'}
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_training_without_reference_is_a_clear_error():
    model = build()
    data = batch()
    for s in data['data_samples']:
        del s.ref_img
    data = model.data_preprocessor(data, training=True)
    with pytest.raises(ValueError, match='ref_img'):
        model(**data, mode='loss')


def test_self_reference_ignores_the_ground_truth_and_oracle_uses_it():
    torch.manual_seed(0)
    data = batch()
    self_model, oracle_model = build(ref_mode='self'), build(ref_mode='oracle')
    oracle_model.load_state_dict(self_model.state_dict())
    for model in (self_model, oracle_model):
        model.eval()
    prep = self_model.data_preprocessor(data, training=False)
    out_self = self_model(**prep, mode='predict')
    out_oracle = oracle_model(**prep, mode='predict')
    # Changing the pipeline reference changes only the oracle prediction.
    for s in data['data_samples']:
        s.ref_img = torch.rand_like(s.ref_img) * 255
    prep2 = self_model.data_preprocessor(data, training=False)
    out_self2 = self_model(**prep2, mode='predict')
    out_oracle2 = oracle_model(**prep2, mode='predict')
    assert torch.equal(out_self[0].output.pred_img, out_self2[0].output.pred_img)
    assert not torch.equal(out_oracle[0].output.pred_img, out_oracle2[0].output.pred_img)
    pred = out_self[0].output
    assert pred.pred_img.shape == (3, 32, 32) and pred.pred_aligned_lr.shape == (3, 8, 8)
    assert pred.pred_mask_hr.shape == (1, 32, 32) and pred.pred_offset.shape == (2, 8, 8)
    assert 0 <= pred.pred_img.min() and pred.pred_img.max() <= 255


def test_self_reference_of_a_mosaic_is_its_gamma_demosaic():
    model = build()
    mosaic = torch.full((1, 1, 4, 4), 0.25)
    ref = model.self_reference(mosaic)
    assert ref.shape == (1, 3, 4, 4)
    assert torch.allclose(ref, torch.full_like(ref, 0.25 ** (1 / 2.2)))
    rgb = torch.rand(1, 3, 4, 4)
    assert build(3).self_reference(rgb) is rgb


def test_bad_ref_mode():
    with pytest.raises(ValueError, match='ref_mode'):
        build(ref_mode='gt')


def test_lr_jpg_reference_is_fed_from_the_data_sample():
    torch.manual_seed(0)
    data = batch(n=1)
    lr_ref = torch.rand(3, 8, 8) * 255
    data['data_samples'][0].set_tensor_data(dict(lr_ref=lr_ref))
    model = build(ref_mode='lr_jpg').eval()
    prep = model.data_preprocessor(data, training=False)
    out = model(**prep, mode='predict')[0]
    with torch.no_grad():
        expected = model.generator(prep['inputs'], (lr_ref[None] / 255.0)).output * 255
    torch.testing.assert_close(out.output.pred_img, expected[0].clamp(0, 255), atol=1e-3,
                               rtol=0)
    del data['data_samples'][0].lr_ref
    prep = model.data_preprocessor(data, training=False)
    with pytest.raises(ValueError, match="ref_mode='lr_jpg' needs the LR shot's camera JPG"):
        model(**prep, mode='predict')


COLOUR = dict(raw_rgb_cam=((1.6, -0.4, -0.2), (-0.2, 1.4, -0.2), (0.0, -0.5, 1.5)),
              raw_camera_wb=(2.0, 1.0, 1.5), img_wb_gains=(1.8, 1.0, 1.0, 1.3))


def test_rendered_self_reference_uses_each_sample_s_colour():
    from mmzoom.models.layers.camera_render import CameraRender
    from mmzoom.raw.white_balance import wb_channel_factors
    torch.manual_seed(0)
    data = batch(n=2)
    data['data_samples'][0].set_metainfo(COLOUR)
    other = dict(COLOUR, raw_camera_wb=(1.0, 1.0, 1.0), img_wb_gains=(1.0, 1.0, 1.0, 1.0))
    data['data_samples'][1].set_metainfo(other)
    model = build(self_ref='render').eval()
    prep = model.data_preprocessor(data, training=False)
    ref = model.reference(prep['inputs'], prep['data_samples'], training=False)
    for i, meta in enumerate((COLOUR, other)):
        factors = torch.tensor(wb_channel_factors(meta['img_wb_gains']), dtype=torch.float32)
        expected = CameraRender()(prep['inputs'][i:i + 1], torch.tensor([meta['raw_rgb_cam']]),
                                  torch.tensor([meta['raw_camera_wb']]), factors[None])
        torch.testing.assert_close(ref[i:i + 1], expected)
    gamma = build(self_ref='gamma').reference(prep['inputs'], prep['data_samples'], False)
    assert (ref - gamma).abs().mean() > 0.05  # the two self references really differ
    for s in data['data_samples']:
        s.set_metainfo(dict(raw_rgb_cam=None))
        del s.raw_rgb_cam
    prep = model.data_preprocessor(data, training=False)
    with pytest.raises(ValueError, match="lack raw_rgb_cam.*self_ref='gamma'"):
        model(**prep, mode='predict')


def test_bad_self_ref():
    with pytest.raises(ValueError, match='self_ref'):
        build(self_ref='jpeg')

"""SDAN's oracle reference at test time: MMagic's DataPreprocessor leaves data-sample images on the
0..255 scale outside training, so ``SDAN.reference`` must normalise ``ref_img`` itself (mean 0,
std 255, as the inputs). The reference that reaches the real generator is captured and compared
with ``ref_img / 255``; the prediction is the generator's output for exactly that reference."""
import numpy as np
import pytest
import torch

from mmagic.datasets.transforms import PackInputs
from mmagic.registry import MODELS

SCALE, H, W = 4, 8, 12


def build(ref_mode):
    generator = dict(type='SDANNet', in_channels=1, mid_channels=8, num_blocks=1,
                     upscale_factor=SCALE, pack_size=2, dcn_backend='fast')
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='SDAN', generator=generator,
        pixel_loss=dict(type='MaskedCharbonnierLoss', border=4),
        align_loss=dict(type='MaskedCharbonnierLoss', border=1),
        test_cfg=dict(ref_mode=ref_mode),
        data_preprocessor=dict(type='DataPreprocessor', mean=[0.], std=[255.],
                               data_keys=['gt_img', 'ref_img']))).eval()


def packed_batch(n=2, seed=0):
    """Samples as the SR-RAW val pipeline packs them (HWC float32 0..255 -> PackInputs): the
    mosaic ``img``, the target ``gt`` and the reference Y' ``ref`` (packed as ``ref_img``).
    The reference is structured (a colour ramp), not noise, and far from the input's scale."""
    rng = np.random.default_rng(seed)
    pack = PackInputs(keys=['img'])
    inputs, samples, refs = [], [], []
    ramp = np.linspace(0, 1, W, dtype=np.float32)[None, :, None]
    for i in range(n):
        ref = (40 + 200 * ramp * np.array([1.0, 0.6, 0.2], np.float32)
               + rng.uniform(0, 10, (H, W, 3)).astype(np.float32))
        packed = pack(dict(img=rng.uniform(0, 255, (H, W, 1)).astype(np.float32),
                           gt=rng.uniform(0, 255, (SCALE * H, SCALE * W, 3)).astype(np.float32),
                           ref=ref))
        inputs.append(packed['inputs'])
        samples.append(packed['data_samples'])
        refs.append(torch.from_numpy(ref).permute(2, 0, 1))
    return dict(inputs=inputs, data_samples=samples), torch.stack(refs)


def capture_refs(model, monkeypatch):
    """Record the ``ref`` argument of every generator call; the real generator still runs."""
    seen = []
    forward = model.generator.forward

    def spy(x, ref):
        seen.append(ref.detach().clone())
        return forward(x, ref)

    monkeypatch.setattr(model.generator, 'forward', spy)
    return seen, forward


def test_oracle_reference_reaching_the_generator_is_ref_img_over_255(monkeypatch):
    model = build('oracle')
    data, ref_255 = packed_batch()
    prep = model.data_preprocessor(data, training=False)
    # What SDAN.reference has to undo: at test time ref_img arrives unnormalised (and in the
    # order it was packed: no channel order is set, so nothing is swapped).
    assert torch.equal(prep['data_samples'].ref_img, ref_255)
    seen, forward = capture_refs(model, monkeypatch)
    preds = model(**prep, mode='predict')
    assert len(seen) == 1  # one whole-image call (8 x 12 px is far below a tile)
    torch.testing.assert_close(seen[0], ref_255 / 255, rtol=1e-6, atol=1e-7)
    assert 0.15 < seen[0].min() and seen[0].max() < 1.0  # on the inputs' 0..1 scale
    # The prediction is the generator's answer for that reference, brought back to 0..255.
    with torch.no_grad():
        expected = forward(prep['inputs'], ref_255 / 255)
    for i, pred in enumerate(preds):
        torch.testing.assert_close(pred.output.pred_img, (expected.output[i] * 255).clamp(0, 255),
                                   rtol=0, atol=1e-3)
        torch.testing.assert_close(pred.output.pred_aligned_lr,
                                   (expected.aligned_lr[i] * 255).clamp(0, 255), rtol=0,
                                   atol=1e-3)
    # A reference on the pixel scale (the /255 forgotten) would give another prediction.
    with torch.no_grad():
        unscaled = forward(prep['inputs'], ref_255).output
    assert (unscaled - expected.output).abs().max() > 1e-2


def test_oracle_and_training_feed_the_generator_the_same_reference(monkeypatch):
    """Training normalises ref_img in the preprocessor, test time in SDAN.reference: the same
    sample gives the generator the same Y' either way."""
    model = build('oracle')
    data, _ = packed_batch(seed=1)
    seen, _ = capture_refs(model, monkeypatch)
    model(**model.data_preprocessor(packed_batch(seed=1)[0], training=True), mode='loss')
    model(**model.data_preprocessor(data, training=False), mode='predict')
    assert len(seen) == 2
    torch.testing.assert_close(seen[1], seen[0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize('ref_mode', ['self', 'lr_jpg'])
def test_other_modes_do_not_feed_ref_img(monkeypatch, ref_mode):
    """Only 'oracle' uses ref_img at test time (the capture can tell the modes apart)."""
    model = build(ref_mode)
    data, ref_255 = packed_batch()
    for s in data['data_samples']:
        s.set_tensor_data(dict(lr_ref=torch.full((3, H, W), 128.0)))
    seen, _ = capture_refs(model, monkeypatch)
    model(**model.data_preprocessor(data, training=False), mode='predict')
    assert len(seen) == 1
    assert not torch.allclose(seen[0], ref_255 / 255, atol=1e-2)
    if ref_mode == 'lr_jpg':
        torch.testing.assert_close(seen[0], torch.full_like(seen[0], 128 / 255))

"""Contextual (CX) and CoBi losses against a naive O(N^2) reference written from the definition
(zoom-learn-zoom, REFERENCE.md), and the behaviour that makes them losses for misaligned pairs."""
import numpy as np
import pytest
import torch
from skimage import data

from mmagic.registry import MODELS
from mmzoom.models.losses.contextual_loss import VGGWeightsMissing, gather_patches


def naive_cx(x, y, h=0.5, eps=1e-3, pos=None, side=None, w_s=0.0):
    """-log CX of (C, P) features x (prediction) and y (target), one loop per definition step."""
    c, p = x.shape
    mu = y.mean(axis=1)
    xn = [(x[:, i] - mu) / np.linalg.norm(x[:, i] - mu) for i in range(p)]
    yn = [(y[:, j] - mu) / np.linalg.norm(y[:, j] - mu) for j in range(p)]

    def similarity(dist):
        cx = np.zeros((p, p))
        for i in range(p):
            rel = [dist[i][j] / (min(dist[i]) + eps) for j in range(p)]
            w = [np.exp((1 - r) / h) for r in rel]
            for j in range(p):
                cx[i, j] = w[j] / sum(w)
        return cx

    feat = [[(1 - float(np.dot(xn[i], yn[j]))) / 2 for j in range(p)] for i in range(p)]
    cx = similarity(feat)
    if w_s:
        sp = [[float(np.sum((pos[i] - pos[j]) ** 2)) / side ** 2 for j in range(p)]
              for i in range(p)]
        cx = (1 - w_s) * cx + w_s * similarity(sp)
    return -np.log(np.mean([max(cx[i, j] for i in range(p)) for j in range(p)]))


def photo(size=48, top=120, left=200, shift=(0, 0)):
    img = data.astronaut()[top + shift[0]:top + shift[0] + size,
                           left + shift[1]:left + shift[1] + size]
    return torch.from_numpy(img.copy()).permute(2, 0, 1)[None].float() / 255


@pytest.mark.parametrize('loss_type,w_s', [('ContextualLoss', 0.0), ('CoBiLoss', 0.1),
                                           ('CoBiLoss', 0.5)])
def test_equals_the_naive_reference_on_small_inputs(loss_type, w_s):
    torch.manual_seed(0)
    pred, target = torch.rand(2, 3, 5, 6), torch.rand(2, 3, 5, 6)
    loss = MODELS.build(dict(type=loss_type, features='rgb', patch_size=2, spatial_weight=w_s,
                             num_positions=10 ** 6))
    value = loss(pred, target).item()
    grid = (4, 5)  # positions of 2 x 2 patches
    pos = np.array([(r, c) for r in range(grid[0]) for c in range(grid[1])], dtype=np.float64)
    patches = [gather_patches(t, torch.from_numpy(pos).long(), 2).double().numpy()
               for t in (pred, target)]
    expected = np.mean([naive_cx(patches[0][n], patches[1][n], pos=pos, side=max(grid), w_s=w_s)
                        for n in range(2)])  # batch > 1: the mean over samples
    assert value == pytest.approx(expected, rel=1e-5)


def test_patches_are_the_neighbourhoods():
    img = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)
    out = gather_patches(img, torch.tensor([[1, 2]]), 2)
    assert torch.equal(out[:, :, 0], img[:, :, 1:3, 2:4].reshape(2, -1))


@pytest.mark.parametrize('features', ['rgb', 'vgg19'])
def test_an_image_with_itself_is_the_minimum_and_a_shift_costs_little(features):
    torch.manual_seed(0)
    opts = dict(features=features, num_positions=10 ** 6, pretrained=False)
    loss = MODELS.build(dict(type='ContextualLoss', **opts))
    img = photo()
    same = loss(img, img).item()
    others = [photo(shift=(3, -2)), photo(top=300, left=60), (img + 0.05 * torch.randn_like(img))
              .clamp(0, 1), img * 0.8]
    values = [loss(img, o).item() for o in others]
    assert all(v > same for v in values), (same, values)
    # A 3 px shift of the target, against another part of the photo: CX barely moves, L1 does.
    shifted, elsewhere = others[0], others[1]
    cx_ratio = (values[0] - same) / (values[1] - same)
    l1_ratio = ((img - shifted).abs().mean() / (img - elsewhere).abs().mean()).item()
    assert cx_ratio < 0.4 * l1_ratio, (cx_ratio, l1_ratio)


def test_vgg_layers_batch_and_gradients():
    torch.manual_seed(0)
    loss = MODELS.build(dict(type='CoBiLoss', num_positions=10 ** 6, pretrained=False))
    assert loss.name == 'CoBi_vgg19_random_vgg'  # never mistaken for the real loss
    a, b = photo(32), photo(32, top=200)
    pred = torch.cat([a, b]).requires_grad_()
    target = torch.cat([photo(32, shift=(1, 1)), photo(32, top=201)])
    both = loss(pred, target)
    one = [loss(pred[i:i + 1], target[i:i + 1]) for i in range(2)]
    assert both.item() == pytest.approx((one[0].item() + one[1].item()) / 2, rel=1e-5)
    both.backward()
    assert pred.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in loss.parameters())  # VGG stays frozen


def test_sampling_keeps_memory_bounded_and_is_shared_by_both_images():
    torch.manual_seed(0)
    loss = MODELS.build(dict(type='ContextualLoss', features='rgb', patch_size=3,
                             num_positions=64))
    img, elsewhere = photo(96), photo(96, top=300)
    # The same positions in both images: each target patch finds itself among the predicted
    # ones (with positions drawn apart per image the two would be unrelated samples).
    same = [loss(img, img).item() for _ in range(5)]
    assert max(same) < 0.5 * min(loss(img, elsewhere).item() for _ in range(5))
    assert len(set(same)) > 1  # drawn anew per call


def test_offline_weights_and_bad_input_are_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    with pytest.raises(VGGWeightsMissing) as err:
        MODELS.build(dict(type='ContextualLoss'))
    msg = str(err.value)
    assert 'vgg19-dcbb9e9d.pth' in msg and str(tmp_path) in msg and 'pretrained=False' in msg
    assert '\n' not in msg
    loss = MODELS.build(dict(type='ContextualLoss', features='rgb'))
    with pytest.raises(ValueError, match='two \\(N, 3, H, W\\) RGB images'):
        loss(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))
    with pytest.raises(ValueError, match='smaller than the 10 px'):
        loss(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match='features'):
        MODELS.build(dict(type='ContextualLoss', features='lab'))


def test_the_frozen_vgg_stays_out_of_checkpoints():
    torch.manual_seed(0)
    model = torch.nn.ModuleDict(dict(net=torch.nn.Conv2d(3, 3, 1), loss=MODELS.build(
        dict(type='CoBiLoss', num_positions=64, pretrained=False))))
    state = model.state_dict()
    assert set(state) == {'net.weight', 'net.bias'}
    vgg = {k: v.clone() for k, v in model['loss'].vgg.state_dict().items()}
    other = torch.nn.ModuleDict(dict(net=torch.nn.Conv2d(3, 3, 1), loss=MODELS.build(
        dict(type='CoBiLoss', num_positions=64, pretrained=False))))
    other.load_state_dict(state)  # strict: the VGG keys are not missing
    assert torch.equal(other['net'].weight, model['net'].weight)
    assert any(not torch.equal(v, vgg[k]) for k, v in other['loss'].vgg.state_dict().items())
    # an older checkpoint that holds the VGG loads too; the loss keeps its own torchvision file
    full = dict(state, **{f'loss.vgg.{k}': torch.zeros_like(v) for k, v in vgg.items()})
    other.load_state_dict(full)
    assert all(v.abs().sum() > 0 for k, v in other['loss'].vgg.state_dict().items()
               if k.endswith('weight'))

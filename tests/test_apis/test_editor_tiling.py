"""The editors' test path (tools/test.py, validation, MMagic's inferencer) tiles as
``model.test_cfg.tile`` says: SDAN exactly, local SR networks exactly within their receptive
field, RNAN approximately (its GC blocks pool over the whole image)."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import ROOT
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmzoom.apis import TileError, local_tiled_forward
from mmzoom.models.layers import CrossPackingAttention

SDAN_RAW = osp.join(ROOT, 'configs', 'sdan', 'sdan_x4c64b16-raw_1xb8-300e_srraw.py')


def build(cfg_model, **test_cfg):
    cfg = copy.deepcopy(cfg_model)
    cfg.test_cfg = dict(cfg.get('test_cfg') or {}, **test_cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, CrossPackingAttention) and m.gamma is not None:
                m.gamma.fill_(1.0)
    return model


def sdan_model_cfg():
    cfg = Config.fromfile(SDAN_RAW).model
    cfg.generator.update(mid_channels=16, num_blocks=2)
    return cfg


def mosaic(h=52, w=76):
    torch.manual_seed(1)
    return torch.rand(1, 1, h, w)


@pytest.mark.parametrize('ref_mode,self_ref', [('self', 'render'), ('self', 'gamma'),
                                               ('oracle', 'render')])
def test_sdan_predict_tiled_equals_whole(ref_mode, self_ref):
    cfg = sdan_model_cfg()
    whole = build(cfg, tile=None, ref_mode=ref_mode, self_ref=self_ref)
    tiled = build(cfg, tile=dict(size=16), ref_mode=ref_mode, self_ref=self_ref)
    tiled.load_state_dict(whole.state_dict())
    x = mosaic()
    # A batch as MMagic's data preprocessor stacks it (the oracle reads ref_img from it, the
    # rendered self reference the RAW file's colour and white balance).
    colour = dict(raw_rgb_cam=((1.6, -0.4, -0.2), (-0.2, 1.4, -0.2), (0.0, -0.5, 1.5)),
                  raw_camera_wb=(2.0, 1.0, 1.5), img_wb_gains=(1.8, 1.0, 1.0, 1.3))
    sample = DataSample.stack([DataSample(ref_img=torch.rand(3, 52, 76) * 255,
                                          metainfo=colour)])
    a = whole.forward_inference(x, sample)
    b = tiled.forward_inference(x, sample)
    for key in ('pred_img', 'pred_aligned_lr', 'pred_mask_lr', 'pred_offset'):
        ref = a.get(key)
        assert (b.get(key) - ref).abs().max() <= 1e-4 * max(ref.abs().max().item(), 1e-6), key


def test_sdan_default_tiles_only_large_inputs():
    model = build(sdan_model_cfg())
    assert model.tile.size == 256
    assert not model.uses_tiles(mosaic(256, 256)) and model.uses_tiles(mosaic(258, 256))
    cfg = sdan_model_cfg()
    cfg.generator.upscale_factor = 8
    assert build(cfg).tile.size == 128  # the same 1024 px of output per tile


def test_sdan_tile_that_does_not_fit_fails_at_build_time():
    with pytest.raises(TileError, match='multiple of 8'):
        build(sdan_model_cfg(), tile=dict(size=100))


def test_local_tiling_is_exact_within_the_receptive_field():
    from mmagic.models.editors import EDSRNet
    torch.manual_seed(0)
    # Receptive field: 1 + 2 x 2 + 1 convs at 1x, one at 1x before the shuffle, one at 2x.
    net = EDSRNet(3, 3, mid_channels=8, num_blocks=2, upscale_factor=2).eval()
    x = torch.rand(1, 3, 40, 52)
    with torch.no_grad():
        whole = net(x)
    exact = local_tiled_forward(net, x, 16, overlap=8)
    assert exact.shape == whole.shape
    torch.testing.assert_close(exact, whole, rtol=1e-5, atol=1e-5)
    short = local_tiled_forward(net, x, 16, overlap=2)
    assert (short - whole).abs().max() > 1e-4  # an overlap below the field shows at the seams


def test_rnan_tiled_is_close_but_not_exact():
    cfg = dict(type='SISREditModel',
               generator=dict(type='RNANNet', mid_channels=16, num_groups=2, num_blocks=2,
                              upscale_factor=2),
               pixel_loss=dict(type='L1Loss'),
               data_preprocessor=dict(type='DataPreprocessor', mean=[0.] * 3, std=[255.] * 3))
    cfg = Config(dict(model=cfg)).model
    whole = build(cfg, tile=None, round_output=False)
    tiled = build(cfg, tile=dict(size=24, overlap=16), round_output=False)
    tiled.load_state_dict(whole.state_dict())
    from skimage import data
    img = torch.from_numpy(data.astronaut()[::8, ::8].copy()).permute(2, 0, 1)[None].float()
    a = whole.forward_inference(img).pred_img
    b = tiled.forward_inference(img).pred_img
    assert a.shape == b.shape == (1, 3, 128, 128)
    diff = (a - b).abs().max().item()
    # GC pooling per tile instead of per image: a visible but small deviation (0..255 scale).
    assert 0 < diff < 10, diff


def test_sisr_default_tile_is_1024_output_px_and_benchmark_sets_run_whole():
    for scale, size in ((2, 512), (3, 341), (4, 256)):
        cfg = Config(dict(model=dict(
            type='SISREditModel', pixel_loss=dict(type='L1Loss'),
            generator=dict(type='RNANNet', mid_channels=16, num_groups=2, num_blocks=2,
                           upscale_factor=scale)))).model
        model = MODELS.build(cfg)
        assert tuple(model.tile) == (size, 32)

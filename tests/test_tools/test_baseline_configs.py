"""SDAN Table 1's baselines (configs/{bicubic,srresnet,srresnet_cx,srgan,esrgan,perceptual}/)
through the public tools on a generated SR-RAW tree, as the SDAN rows are tested: every config
builds with its recorded size, every trainable one trains with tools/train.py and is evaluated
by tools/test.py under the SR-RAW protocol, the parameter-free bicubic row runs without a
checkpoint and the pre-trained ('*') rows evaluate a saved checkpoint.

Nothing is downloaded: the contextual loss builds a random VGG19 (``pretrained=False``), and
MMagic's PerceptualLoss, which always asks torchvision for ImageNet weights, finds files of
random VGG weights in a temporary ``TORCH_HOME`` (fixture ``random_vgg_torch_home``)."""
import glob
import importlib.util
import json
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from conftest import ROOT, run_tool
from mmagic.registry import MODELS

FOLDERS = ('bicubic', 'srresnet', 'srresnet_cx', 'srgan', 'esrgan', 'perceptual')
CONFIGS = sorted(p for f in FOLDERS for p in glob.glob(osp.join(ROOT, 'configs', f, '*.py')))


def cfg_path(name: str) -> str:
    found = [p for p in CONFIGS if osp.basename(p) == name + '.py']
    assert len(found) == 1, name
    return found[0]


#: (generator, all) parameters of the full configs, as count_params.py prints them (all: the
#: frozen VGG of a loss and the discriminator included).
PARAMS = {
    'bicubic_x4-rgb_srraw': (0, 0),
    'msrresnet_x4c64b16-rgb_1xb8-300e_srraw': (1_517_571, 1_517_571),
    'msrresnet_x4c64b16-raw_1xb8-300e_srraw': (1_516_419, 1_516_419),
    'msrresnet_x4c64b16-rgb_div2k-pretrained_srraw': (1_517_571, 1_517_571),
    'msrresnet-cx_x4c64b16-rgb_1xb8-300e_srraw': (1_517_571, 2_662_979),
    'msrresnet-cx_x4c64b16-raw_1xb8-300e_srraw': (1_516_419, 2_661_827),
    'srgan_x4c64b16-rgb_1xb16-400k_srraw': (1_517_571, 36_041_356),
    'srgan_x4c64b16-rgb_div2k-pretrained_srraw': (1_517_571, 1_517_571),
    'esrgan_x4c64b23g32-rgb_1xb16-400k_srraw': (16_697_987, 51_221_772),
    'esrgan_x4c64b23g32-rgb_div2k-pretrained_srraw': (16_697_987, 16_697_987),
    'perceptual-vgg16_x4c64b16-raw_1xb8-300e_srraw': (1_516_419, 1_776_579),
}
PRETRAINED = [n for n in PARAMS if 'pretrained' in n]
EVAL_ONLY = ['bicubic_x4-rgb_srraw'] + PRETRAINED
TRAINABLE = [n for n in PARAMS if n not in EVAL_ONLY]
#: The contextual loss's VGG19 with random weights (it is never downloaded).
RANDOM_CX_VGG = ['model.pixel_loss.pretrained=False']

# Tiny networks and patches; everything else is the config's.
TINY_NET = ['model.generator.mid_channels=16', 'model.generator.num_blocks=1']
TINY_DATA = ['train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
             'test_dataloader.num_workers=0',
             'val_dataloader.dataset.pipeline.3.gt_patch_size=128']
# SDAN's schedule (300 epochs, cosine restarts): one epoch of the 6 training pairs, 3 steps.
TINY_EPOCHS = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=5',
               'default_hooks.checkpoint.interval=1', 'param_scheduler.periods=[1]',
               'param_scheduler.restart_weights=[1]',
               'train_dataloader.dataset.pipeline.4.gt_patch_size=128']
# MMagic's GAN schedule (iterations); the patches stay 128 px, all ModifiedVGG accepts.
TINY_ITERS = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
              'default_hooks.checkpoint.interval=2', 'model.discriminator.mid_channels=8']


def tiny_options(name: str) -> list:
    opts = TINY_NET + TINY_DATA
    if 'gan' in name:
        opts += TINY_ITERS
        if name.startswith('esrgan'):  # no download of MMagic's PSNR-oriented RRDBNet
            opts += ['model.generator.growth_channels=8', 'model.generator.init_cfg=None']
    else:
        opts += TINY_EPOCHS
    if '-cx_' in name:  # smaller patches too: VGG19 features are most of the step's time
        opts += RANDOM_CX_VGG + ['model.pixel_loss.num_positions=256',
                                 'train_dataloader.dataset.pipeline.4.gt_patch_size=64']
    return opts


def data_options(root: str, test_only: bool = False) -> list:
    loaders = ('test_dataloader', ) if test_only else ('train_dataloader', 'val_dataloader',
                                                        'test_dataloader')
    return [f'{k}.dataset.data_root={root}' for k in loaders]


@pytest.fixture(scope='module')
def srraw_root(tmp_path_factory) -> str:
    from mmzoom.raw.synthetic import make_demo_srraw
    root = str(tmp_path_factory.mktemp('srraw'))
    make_demo_srraw(root, size=(512, 768), pattern='GRBG', raw_ext='dng')
    return root


@pytest.fixture(scope='module')
def random_vgg_torch_home(tmp_path_factory) -> str:
    """A ``TORCH_HOME`` whose torchvision cache holds VGG16/VGG19 files of *random* weights
    (torchvision's initialisation) under the ImageNet files' names, so that MMagic's
    PerceptualLoss builds offline. Its ``pretrained`` argument is unused in MMagic 1.2.0, and a
    cached file is not hash-checked. The classifier, which PerceptualVGG drops, is stored as a
    stride-0 zero tensor to keep the files small."""
    from torchvision.models import VGG16_Weights, VGG19_Weights, vgg16, vgg19
    home = tmp_path_factory.mktemp('random_vgg_torch_home')
    folder = home / 'hub' / 'checkpoints'
    folder.mkdir(parents=True)
    torch.manual_seed(0)
    for build, weights in ((vgg19, VGG19_Weights.IMAGENET1K_V1),
                           (vgg16, VGG16_Weights.IMAGENET1K_V1)):
        state = {k: v if k.startswith('features.') else torch.zeros(()).expand(v.shape)
                 for k, v in build().state_dict().items()}
        torch.save(state, str(folder / osp.basename(weights.url)))
    return str(home)


def load_count_params():
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'count_params.py')
    spec = importlib.util.spec_from_file_location('count_params', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_config_builds_with_its_recorded_size(random_vgg_torch_home, monkeypatch,
                                                    capsys):
    """count_params.py on every config: the figures of configs/*/README.md and Table 1."""
    assert sorted(osp.basename(p)[:-3] for p in CONFIGS) == sorted(PARAMS)
    monkeypatch.setenv('TORCH_HOME', random_vgg_torch_home)
    count_params = load_count_params()
    for path in CONFIGS:
        name = osp.basename(path)[:-3]
        opts = ['--cfg-options'] + RANDOM_CX_VGG if '-cx_' in name else []
        count_params.main([path] + opts)
        lines = capsys.readouterr().out.splitlines()
        generator = next(int(line.split()[-1].replace(',', '')) for line in lines
                         if line.startswith('generator '))
        assert (generator, int(lines[-1].split()[-1])) == PARAMS[name], name


def test_gan_configs_keep_mmagic_models_and_schedules():
    """The SR-RAW SRGAN/ESRGAN configs copy MMagic's (a config cannot inherit both MMagic's
    file and the SR-RAW dataset base): model, optimisers, schedule stay MMagic's."""
    import mmagic
    mmagic_cfgs = osp.join(osp.dirname(mmagic.__file__), '.mim', 'configs')
    pairs = {'srgan_x4c64b16-rgb_1xb16-400k_srraw':
             'srgan_resnet/srgan_x4c64b16_1xb16-1000k_div2k.py',
             'esrgan_x4c64b23g32-rgb_1xb16-400k_srraw':
             'esrgan/esrgan_x4c64b23g32_1xb16-400k_div2k.py'}
    for ours, theirs in pairs.items():
        a, b = Config.fromfile(cfg_path(ours)), Config.fromfile(osp.join(mmagic_cfgs, theirs))
        # mmzoom's subclass of MMagic's editor: the same training, a tiled test path
        assert a.model.type == f'Tiled{b.model.type}'
        assert issubclass(MODELS.get(a.model.type), MODELS.get(b.model.type))
        for key in ('generator', 'discriminator', 'pixel_loss', 'perceptual_loss', 'gan_loss'):
            assert a.model[key] == b.model[key], (ours, key)
        for key in ('optim_wrapper', 'param_scheduler', 'model_wrapper_cfg'):
            assert a[key] == b[key], (ours, key)
        assert (a.train_cfg.max_iters, a.train_cfg.val_interval) == (b.train_cfg.max_iters,
                                                                     b.train_cfg.val_interval)
        assert a.train_dataloader.batch_size == b.train_dataloader.batch_size == 16
        crop = [s for s in a.train_dataloader.dataset.pipeline if s.type == 'PairedRawCrop']
        assert crop[0].gt_patch_size == 128  # ModifiedVGG's input size


def test_pretrained_configs_name_mmagic_model_zoo_weights():
    import mmagic
    import yaml
    zoo = osp.join(osp.dirname(mmagic.__file__), '.mim', 'configs')
    weights = {m['Name']: m['Weights'] for f in ('srgan_resnet', 'esrgan')
               for m in yaml.safe_load(open(osp.join(zoo, f, 'metafile.yml')))['Models']}
    expected = {'msrresnet_x4c64b16-rgb_div2k-pretrained_srraw':
                'msrresnet_x4c64b16_1xb16-1000k_div2k',
                'srgan_x4c64b16-rgb_div2k-pretrained_srraw': 'srgan_x4c64b16_1xb16-1000k_div2k',
                'esrgan_x4c64b23g32-rgb_div2k-pretrained_srraw':
                'esrgan_x4c64b23g32_1xb16-400k_div2k'}
    assert sorted(expected) == sorted(PRETRAINED)
    for ours, theirs in expected.items():
        cfg = Config.fromfile(cfg_path(ours))
        assert cfg.load_from == weights[theirs], ours
        assert cfg.train_dataloader is None and cfg.test_dataloader.dataset.input_mode == 'rgb'


def test_msrresnet_residual_of_a_mosaic_is_an_image_not_a_checkerboard():
    """MMagic's MSRResNet adds the bilinearly upsampled *mosaic* to all three colours;
    MosaicMSRResNet adds the demosaiced (and gamma-encoded) image."""
    from mmzoom.models.layers.demosaic import BilinearDemosaic
    torch.manual_seed(0)
    x = torch.rand(2, 1, 8, 10)
    up = torch.nn.Upsample(scale_factor=4, mode='bilinear', align_corners=False)

    def residual_only(cfg):
        net = MODELS.build(dict(cfg, mid_channels=8, num_blocks=1)).eval()
        torch.nn.init.zeros_(net.conv_last.weight)
        torch.nn.init.zeros_(net.conv_last.bias)
        with torch.no_grad():
            return net(x)

    plain = residual_only(dict(type='MSRResNet', in_channels=1, out_channels=3))
    assert torch.equal(plain[:, 0], plain[:, 1]) and torch.equal(plain[:, 1], plain[:, 2])
    assert torch.allclose(plain[:, :1], up(x))  # the interpolated mosaic, in every colour
    rgb = BilinearDemosaic()(x)
    for mode, image in (('gamma', rgb.clamp(0, 1) ** (1 / 2.2)), ('linear', rgb),
                        (None, torch.zeros_like(rgb))):
        out = residual_only(dict(type='MosaicMSRResNet', residual=mode))
        assert torch.allclose(out, up(image), atol=1e-6), mode
    keys = set(MODELS.build(dict(type='MSRResNet', in_channels=1, out_channels=3)).state_dict())
    assert set(MODELS.build(dict(type='MosaicMSRResNet')).state_dict()) == keys
    with pytest.raises(ValueError, match='1-channel Bayer mosaic'):
        MODELS.build(dict(type='MosaicMSRResNet', in_channels=3))


def test_bicubic_upsampler_is_opencv_inter_cubic():
    from skimage import data
    img = data.astronaut()[100:148, 180:236].astype(np.float32)  # 48 x 56 RGB
    ours = MODELS.build(dict(type='BicubicUpsampler'))(
        torch.from_numpy(img).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    theirs = cv2.resize(img, (56 * 4, 48 * 4), interpolation=cv2.INTER_CUBIC)
    # Same kernel (a = -0.75) and pixel centres; the borders differ (replicate vs reflect).
    assert np.abs(ours - theirs)[8:-8, 8:-8].max() < 1e-2
    assert not list(MODELS.build(dict(type='BicubicUpsampler')).parameters())


def test_srresnet_tiles_equal_the_whole_image():
    """The SRResNet configs' tiles (40 px of context, even) are exact, and keep a mosaic's
    RGGB phase."""
    from mmzoom.apis.local_tiling import local_tiled_forward
    cfg = Config.fromfile(cfg_path('msrresnet_x4c64b16-raw_1xb8-300e_srraw'))
    tile = cfg.model.test_cfg.tile
    assert tile.size % 2 == 0 and tile.overlap % 2 == 0
    net = MODELS.build(cfg.model.generator).eval()
    torch.manual_seed(0)
    for m in net.modules():  # PyTorch's init: MMagic's scales the residual branches by 0.1,
        if isinstance(m, torch.nn.Conv2d):  # which hides far context in float noise
            m.reset_parameters()
    # One column of three 64-row cores: the middle one reads 40 rows of context on each side
    # and no more (a full-size tile plan, cut down to what a CPU computes in seconds).
    x = torch.rand(1, 1, 160, 40)

    def error(overlap: int) -> float:
        with torch.no_grad():
            whole, tiled = net(x), local_tiled_forward(net, x, 64, overlap)
        return float((tiled - whole).abs().max() / whole.abs().max())

    assert error(tile.overlap) < 1e-6
    assert error(8) > 1e-5  # too little context shows


def metrics_of(path: str) -> dict:
    metrics = json.load(open(path))
    for key in ('SRRAW-test/PSNR_rgb_wb_b32', 'SRRAW-test/SSIM_rgb_wb_b32',
                'SRRAW-test/PSNR_y_wb_b32'):
        assert key in metrics and math.isfinite(metrics[key]), (key, metrics)
    assert not any('LPIPS' in k for k in metrics)  # --no-lpips
    return metrics


def tools_test(config: str, ckpt: str, out: str, work: str, opts: list) -> list:
    """The tools/test.py command line (LPIPS left out: no AlexNet weights offline)."""
    return ['tools/test.py', config, ckpt, '--no-lpips', '--out', out, '--work-dir', work,
            '--cfg-options'] + opts


@pytest.mark.slow
@pytest.mark.parametrize('name', TRAINABLE)
def test_config_trains_with_tools_train_and_tools_test_evaluates_it(
        name, srraw_root, random_vgg_torch_home, tmp_path):
    config, work = cfg_path(name), str(tmp_path / 'w')
    opts = tiny_options(name) + data_options(srraw_root)
    env = dict(TORCH_HOME=random_vgg_torch_home)
    run_tool(['tools/train.py', config, '--work-dir', work, '--cfg-options'] + opts, env=env,
             timeout=400)
    ckpt = osp.join(work, 'iter_2.pth' if 'gan' in name else 'epoch_1.pth')
    assert osp.isfile(ckpt)
    assert glob.glob(osp.join(work, 'best_SRRAW-val-centre1024_PSNR_rgb_wb_b32_*.pth'))
    out = str(tmp_path / 'metrics.json')
    run_tool(tools_test(config, ckpt, out, work, opts), env=env, timeout=400)
    metrics_of(out)


@pytest.mark.slow
def test_bicubic_runs_without_a_checkpoint_and_a_model_with_parameters_needs_one(
        srraw_root, tmp_path):
    out = str(tmp_path / 'bicubic.json')
    run_tool(tools_test(cfg_path('bicubic_x4-rgb_srraw'), 'none', out, str(tmp_path / 'w'),
                      ['test_dataloader.num_workers=0'] + data_options(srraw_root, True)))
    metrics = metrics_of(out)
    assert 20 < metrics['SRRAW-test/PSNR_rgb_wb_b32'] < 60  # a real interpolation, not noise

    proc = run_tool(['tools/test.py', cfg_path('msrresnet_x4c64b16-rgb_1xb8-300e_srraw'),
                     'none', '--work-dir', str(tmp_path / 'w2'), '--cfg-options'] + TINY_NET +
                    data_options(srraw_root), check=False)
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and 'builds a model with 26,403 parameters: give its checkpoint' \
        in errors[0], errors


@pytest.mark.slow
@pytest.mark.parametrize('name', PRETRAINED)
def test_pretrained_config_evaluates_a_saved_checkpoint(name, srraw_root, tmp_path):
    """A stand-in for MMagic's file (random weights, the same keys; for the GANs the
    discriminator too, which --allow-partial leaves out) evaluated by tools/test.py."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmagic')
    config = cfg_path(name)
    opts = TINY_NET + ['test_dataloader.num_workers=0'] + data_options(srraw_root, True)
    if name.startswith('esrgan'):
        opts += ['model.generator.growth_channels=8']
    cfg = Config.fromfile(config)
    cfg.model.generator.update(mid_channels=16, num_blocks=1)
    if name.startswith('esrgan'):
        cfg.model.generator.growth_channels = 8
    state = MODELS.build(cfg.model).state_dict()
    gan = 'gan' in name
    if gan:
        disc = MODELS.build(dict(type='ModifiedVGG', in_channels=3, mid_channels=8))
        state.update({f'discriminator.{k}': v for k, v in disc.state_dict().items()})
    ckpt = str(tmp_path / 'mmagic_zoo_stand_in.pth')
    torch.save(dict(state_dict=state, meta={}), ckpt)
    out = str(tmp_path / 'metrics.json')
    proc = run_tool(tools_test(config, ckpt, out, str(tmp_path / 'w'), opts)
                    + (['--allow-partial'] if gan else []))
    metrics_of(out)
    assert 'missing keys in source state_dict' not in proc.stdout  # the generator loaded
    assert ('unexpected key in source state_dict: discriminator.' in proc.stdout) == gan


def test_model_index_lists_every_baseline_config():
    import yaml
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    listed = {m['Config'] for f in index['Import']
              for m in yaml.safe_load(open(osp.join(ROOT, f)))['Models']}
    assert {osp.relpath(p, ROOT) for p in CONFIGS} <= listed
    for folder in FOLDERS:
        assert osp.isfile(osp.join(ROOT, 'configs', folder, 'README.md')), folder


def test_gan_editors_zoom_large_inputs_in_tiles_as_the_whole_image():
    """TiledSRGAN's predict path equals a whole-image run of its generator (this one-block
    generator's receptive field is inside the 8 px of context) while it holds one tile at a
    time."""
    torch.manual_seed(0)
    cfg = Config.fromfile(cfg_path('srgan_x4c64b16-rgb_1xb16-400k_srraw')).model
    cfg.generator.update(mid_channels=8, num_blocks=1)
    cfg.discriminator.update(mid_channels=8)
    cfg.perceptual_loss = None
    cfg.test_cfg = dict(round_output=False, tile=dict(size=32, overlap=8))
    model = MODELS.build(cfg).eval()
    x = torch.rand(1, 3, 70, 90)
    with torch.no_grad():
        whole = model.generator(x).clamp(0, 1) * 255
    tiled = model.forward_inference(x).pred_img
    assert tiled.shape == (1, 3, 280, 360)
    assert (tiled - whole).abs().max() < 1e-3

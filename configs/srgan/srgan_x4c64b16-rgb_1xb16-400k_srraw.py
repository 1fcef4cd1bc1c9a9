# SRGAN (Ledig et al. 2017) as MMagic trains it, on SR-RAW 4x with RGB input (the LR camera
# JPG, white balance removed) and the SR-RAW evaluation protocol of every Table 1 row: MMagic's
# SRGAN model (as TiledSRGAN, its subclass with mmzoom's tiled test path), MSRResNet
# generator, ModifiedVGG discriminator, losses and schedule, copied from
# mmagic::srgan_resnet/srgan_x4c64b16_1xb16-1000k_div2k.py (which trains 400k iterations
# despite its name); tests/test_tools/test_baseline_configs.py holds them equal. A config
# cannot inherit both MMagic's file and mmzoom's SR-RAW dataset base (MMEngine refuses keys that
# two bases define), so the data come from the base and the model from MMagic's file, by copy.
# SDAN's "SRGAN*" row is MMagic's DIV2K model instead: srgan_x4c64b16-rgb_div2k-pretrained_srraw.py.
_base_ = ['../_base_/datasets/srraw_x4_rgb.py', '../_base_/default_runtime.py']
experiment_name = 'srgan_x4c64b16-rgb_1xb16-400k_srraw'

scale = 4
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
model = dict(
    type='TiledSRGAN',
    generator=dict(
        type='MSRResNet',
        in_channels=3,
        out_channels=3,
        mid_channels=64,
        num_blocks=16,
        upscale_factor=scale),
    discriminator=dict(type='ModifiedVGG', in_channels=3, mid_channels=64),
    pixel_loss=dict(type='L1Loss', loss_weight=1e-2, reduction='mean'),
    # VGG19 conv5_4 (before ReLU) on 0..1 inputs, ImageNet-normalised inside. MMagic 1.2.0's
    # PerceptualVGG ignores `pretrained` and always asks torchvision for its ImageNet VGG19
    # (vgg19-dcbb9e9d.pth in $TORCH_HOME/hub/checkpoints/, downloaded if absent).
    perceptual_loss=dict(
        type='PerceptualLoss',
        layer_weights={'34': 1.0},
        vgg_type='vgg19',
        perceptual_weight=1.0,
        style_weight=0,
        norm_img=False),
    gan_loss=dict(
        type='GANLoss',
        gan_type='vanilla',
        loss_weight=5e-3,
        real_label_val=1.0,
        fake_label_val=0),
    train_cfg=dict(),
    # mmzoom's tiled test path (MMagic's editor zooms whole frames: ~9 GB per feature map of
    # an SR-RAW test output); same training and checkpoint keys as MMagic's editor.
    test_cfg=dict(round_output=False, tile=dict(size=256, overlap=40)),
    # Scalar mean/std (MMagic's three equal ones); the SR-RAW images stay RGB.
    data_preprocessor=dict(type='DataPreprocessor', mean=[0.], std=[255.]))

# MMagic's 128 px HR patches (32 input px): ModifiedVGG takes 128 x 128 images only. Batch 16.
train_pipeline = [dict(s, gt_patch_size=128) if s['type'] == 'PairedRawCrop' else s
                  for s in _base_.train_pipeline]
train_dataloader = dict(
    batch_size=16,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))),
    discriminator=dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=False, milestones=[50000, 100000, 200000, 300000], gamma=0.5)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400_000, val_interval=5000)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')
# Checkpoints every 5000 iterations, best by the SR-RAW validation PSNR (MMagic's runtime with
# mmzoom's checkpoint directory and metric name; configs/_base_/default_runtime.py).

# The SR-RAW pipeline is RGB end to end: MMagic's visualizer must not swap channels (its
# default bgr2rgb=True assumes MMagic's BGR images and saves red as blue).
visualizer = dict(bgr2rgb=False)

# SDAN Table 1 "Perceptual [2]", RAW input: the perceptual (feature reconstruction) loss of
# Johnson et al. (ECCV 2016) on the SR-RAW 4x mosaic. Paper: 18.83 dB / 0.354 / LPIPS 0.270.
# MMagic's SRGAN model (TiledSRGAN: with mmzoom's tiled test path) without discriminator
# or GAN loss trains on its perceptual loss alone:
# MMagic's PerceptualLoss on VGG16 relu2_2 (torchvision features index 8), as Johnson et al.'s
# SR networks, L1 distance of the features (MMagic's default; Johnson et al. squared L2:
# criterion='mse'). Generator, data, schedule and evaluation are those of the RAW SRResNet
# (MosaicMSRResNet, SDAN's schedule): Johnson et al.'s own SR network (4 residual blocks with
# batch norm, 9x9 convolutions) is not in MMagic; README.md lists what differs.
_base_ = ['../srresnet/msrresnet_x4c64b16-raw_1xb8-300e_srraw.py']
experiment_name = 'perceptual-vgg16_x4c64b16-raw_1xb8-300e_srraw'

model = dict(
    _delete_=True,
    type='TiledSRGAN',
    generator=_base_.model.generator,
    # MMagic's editors must build a pixel loss; weight 0 leaves Johnson et al.'s objective, the
    # feature loss alone (SRGAN logs loss_pix as 0).
    pixel_loss=dict(type='L1Loss', loss_weight=0.0, reduction='mean'),
    perceptual_loss=dict(
        type='PerceptualLoss',
        layer_weights={'8': 1.0},
        vgg_type='vgg16',
        use_input_norm=True,
        perceptual_weight=1.0,
        style_weight=0,
        norm_img=False,  # inputs are 0..1 already (std 255)
        # MMagic 1.2.0 ignores this and loads torchvision's ImageNet VGG16 (vgg16-397923af.pth
        # in $TORCH_HOME/hub/checkpoints/, downloaded if absent); it must name the vgg_type.
        pretrained='torchvision://vgg16'),
    train_cfg=dict(),
    # mmzoom's tiled test path (MMagic's editor zooms whole frames: ~9 GB per feature map of
    # an SR-RAW test output); same training and checkpoint keys as MMagic's editor.
    test_cfg=dict(round_output=False, tile=dict(size=256, overlap=40)),
    data_preprocessor=_base_.model.data_preprocessor)

# SRGAN's train step asks for the generator's optimiser by name; SDAN's Adam and schedule.
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=_base_.optim_wrapper.optimizer))

# SRResNet trained with L1 on SR-RAW 4x, RGB input (the LR shot's camera JPG, white balance
# removed, on the mosaic grid, as SDAN RGB): MMagic's MSRResNet (Ledig et al.'s SRResNet without
# batch norm, 64 features, 16 residual blocks, plus the bilinearly upsampled input), with
# SDAN's data, schedule (Adam 2e-4, cosine restarts, 300 epochs, batch 8, 576 px HR patches)
# and evaluation protocol, so that only the network and the loss differ from SDAN's rows.
# No row of SDAN's Table 1 by itself (its "SRResNet*" row is a model pre-trained elsewhere:
# msrresnet_x4c64b16-rgb_div2k-pretrained_srraw.py): the L1 baseline whose loss the
# "SRResNet+CX" rows change (configs/srresnet_cx/).
_base_ = [
    '../_base_/datasets/srraw_x4_rgb.py', '../_base_/schedules/sdan_adam_cosine-restart_300e.py'
]
experiment_name = 'msrresnet_x4c64b16-rgb_1xb8-300e_srraw'

model = dict(
    type='SISREditModel',
    generator=dict(
        type='MSRResNet',
        in_channels=3,
        out_channels=3,
        mid_channels=64,
        num_blocks=16,
        upscale_factor=4),
    pixel_loss=dict(type='L1Loss', loss_weight=1.0, reduction='mean'),
    train_cfg=dict(),
    # Full test frames in tiles of 256 input px with 40 px of context: more than MSRResNet's
    # receptive field (35 input px), so tiles equal the whole-image run. The prediction is not
    # rounded to 8 bits, as SDAN's is not: the SR-RAW metrics re-apply the white balance first.
    test_cfg=dict(round_output=False, tile=dict(size=256, overlap=40)),
    # Scalar mean/std serve 1- and 3-channel inputs; images stay RGB (no *_channel_order).
    data_preprocessor=dict(type='DataPreprocessor', mean=[0.], std=[255.]))

# MMagic's image hook only (SDAN's alignment panels need SDAN's offsets).
custom_hooks = [dict(type='BasicVisualizationHook', interval=1)]

# The SR-RAW pipeline is RGB end to end: MMagic's visualizer must not swap channels (its
# default bgr2rgb=True assumes MMagic's BGR images and saves red as blue).
visualizer = dict(bgr2rgb=False)

# SRResNet trained with L1 on SR-RAW 4x, RAW input: the LR shot's 1-channel Bayer mosaic
# (RGGB, the file's levels), output 4x the mosaic grid, as SDAN RAW. MMagic's MSRResNet would
# add its bilinearly upsampled 1-channel input to all three output channels (a Bayer
# checkerboard): MosaicMSRResNet (mmzoom) adds the demosaiced, gamma-encoded, upsampled mosaic
# instead, with MSRResNet's modules and checkpoint keys otherwise. Data, schedule and evaluation
# are SDAN's. No Table 1 row by itself: the L1 baseline of the "SRResNet+CX RAW" row.
_base_ = [
    '../_base_/datasets/srraw_x4_raw.py', '../_base_/schedules/sdan_adam_cosine-restart_300e.py'
]
experiment_name = 'msrresnet_x4c64b16-raw_1xb8-300e_srraw'

model = dict(
    type='SISREditModel',
    generator=dict(
        type='MosaicMSRResNet',
        in_channels=1,
        out_channels=3,
        mid_channels=64,
        num_blocks=16,
        upscale_factor=4,
        residual='gamma'),
    pixel_loss=dict(type='L1Loss', loss_weight=1.0, reduction='mean'),
    train_cfg=dict(),
    # Tiles as the RGB config (exact); size and context even, so every tile keeps the RGGB phase.
    test_cfg=dict(round_output=False, tile=dict(size=256, overlap=40)),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0.], std=[255.]))

custom_hooks = [dict(type='BasicVisualizationHook', interval=1)]
# The network input is a 1-channel mosaic: show ground truth and prediction side by side.
# The SR-RAW pipeline is RGB end to end: MMagic's visualizer must not swap channels (its
# default bgr2rgb=True assumes MMagic's BGR images and saves red as blue).
visualizer = dict(img_keys=['gt_img', 'pred_img'], bgr2rgb=False)

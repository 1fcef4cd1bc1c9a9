# Full SDAN (Table 1 "Ours RAW" = Table 2 "++ Flip Augment"): squared offsets, cross packing
# attention (K = 8, Gram form), flip-augmented reference, 64 features, 16 residual blocks, x4.
# Loss, Eq. (6): Charbonnier (eps 1e-12, i.e. L1) on the zoomed output with the HR mask M and on
# the aligned LR image X' with M', borders shaved (32 HR px / 8 px on the input grid), means over
# all elements as the public code.

model = dict(
    type='SDAN',
    generator=dict(
        type='SDANNet',
        in_channels=1,
        out_channels=3,
        mid_channels=64,
        num_blocks=16,
        upscale_factor=4,
        offset_type='squared',
        attention='cpa',
        cpa_mode='gram',
        pack_size=8,
        flip_ref=True,
        # The exact dense conv + warp equivalent of mmcv's DCN for squared offsets; 'mmcv' runs
        # mmcv.ops.deform_conv2d itself (same parameters, interchangeable checkpoints).
        dcn_backend='fast'),
    pixel_loss=dict(type='MaskedCharbonnierLoss', eps=1e-12, border=32, normalize='all'),
    align_loss=dict(type='MaskedCharbonnierLoss', eps=1e-12, border=8, normalize='all'),
    train_cfg=dict(),
    # The paper's inference: the reference is made from the input ({X, X}); a RAW mosaic is
    # rendered like the camera JPG Y' was (the file's colour matrix and white balance, sRGB
    # curve, white balance removed; self_ref='gamma': demosaic ** (1 / ref_gamma) instead).
    # 'lr_jpg' feeds the LR shot's JPG, 'oracle' the ground-truth reference (public test code).
    test_cfg=dict(ref_mode='self', self_ref='render', ref_gamma=2.2),
    data_preprocessor=dict(
        type='DataPreprocessor', mean=[0.], std=[255.], data_keys=['gt_img', 'ref_img']))

# SR-RAW (Zhang et al., CVPR 2019) 4x pairs with RAW input, as SDAN (ICME 2021, Sec. 4.1) uses
# them: train on (HR shot k, LR shot k + 4) for k = 1, 2, 3, test on (2, 6). Layout:
# data/SR-RAW/{train,test}/<seq>/0000k.{ARW,JPG} + tform.txt + wb.txt per sequence (see
# tools/dataset_converters/srraw/; check a copy with check_dataset.py).
#
# A sample before PackInputs (all images RGB order, no *_channel_order set, so MMagic's
# DataPreprocessor must keep output_channel_order=None; use mean 0 / std 255 for every key):
#   img (h, w, 1) float32: the LR shot's Bayer mosaic in RGGB phase,
#       (raw - black) / (white - black) * 255 with the file's own levels, not clipped;
#   gt  (4h, 4w, 3) float32: the HR JPG aligned to it (tform.txt warps, one bicubic resampling),
#       white balance removed (Y[c] /= g[c]^(1/2.2), HR gains of wb.txt), 0..255;
#   ref (h, w, 3) float32: gt bicubic-downsampled to the mosaic grid (SDAN's Y'), 0..255;
#   lr_ref (h, w, 3) float32, val/test only: the LR shot's camera JPG on the mosaic grid, its
#       white balance removed (the reference of model.test_cfg.ref_mode='lr_jpg');
#   metainfo: img_path, gt_path, cfa_pattern (the file's), wb_gains (HR gains, re-applied at
#       evaluation), scale, focal_lengths, sequence, hr_index, lr_index.
# Training patches: HR 576 = 512 + 2 x 32 px border <-> mosaic 144 = packed 72 = 64 + 2 x 4,
# positions from SR-RAW's truncated normal around the centre, CFA-safe flips/transposes.
#
# Evaluation protocol (mmzoom/evaluation/metrics/srraw_metrics.py), in every metric name:
# the HR white balance is re-applied to prediction and target (clipped to 0..255), 32 px
# borders are cropped, and PSNR/SSIM/LPIPS (AlexNet, v0.1) are measured on RGB; PSNR/SSIM on
# BT.601 Y are reported beside them because the public SDAN scripts use both. Names read
# <prefix>/<metric>_<rgb|y>_<wb|nowb>_b<border>, e.g. SRRAW-test/PSNR_rgb_wb_b32; with the target
# first aligned onto the prediction (dense flow + colour map) they end in _aligned.
# Validation during training uses the central 1024 px of each test pair (prefix says so) and
# no LPIPS, which needs torchvision's AlexNet weights ($TORCH_HOME/hub/checkpoints/
# alexnet-owt-7be5be79.pth) and is only built for testing.

dataset_type = 'SRRawDataset'
data_root = 'data/SR-RAW'
scale = 4

# raw_rgb_cam/raw_camera_wb (LoadRawFromFile) and img_wb_gains (wb.txt) let SDAN render its self
# reference like the camera JPG (model.test_cfg.self_ref='render').
srraw_meta_keys = [
    'cfa_pattern', 'wb_gains', 'scale', 'focal_lengths', 'sequence', 'hr_index', 'lr_index',
    'img_wb_gains', 'raw_rgb_cam', 'raw_camera_wb'
]

train_pipeline = [
    dict(type='LoadRawFromFile', key='img'),
    dict(type='LoadSRRawJpg', key='gt'),
    dict(type='SRRawFovAlign', interpolation='bicubic'),
    # Before the crop: the flips trim 2 mosaic px per axis to keep RGGB, the crop then cuts
    # exact 144 / 576 px patches. The public code flips horizontally and vertically only (its
    # transpose is a no-op); mmzoom also transposes (RGGB is kept), see CfaSafeFlip.
    dict(type='CfaSafeFlip', keys=['img', 'gt'], flip_ratio=0.5,
         directions=['horizontal', 'vertical', 'transpose']),
    dict(type='PairedRawCrop', gt_patch_size=576, position='truncnorm'),
    dict(type='RemoveWhiteBalance', keys=['gt']),
    dict(type='MakeReference', interpolation='bicubic'),
    dict(type='PackInputs', keys=['img'], meta_keys=srraw_meta_keys),
]
val_pipeline = [
    dict(type='LoadRawFromFile', key='img'),
    dict(type='LoadSRRawJpg', key='gt'),
    dict(type='SRRawFovAlign', interpolation='bicubic'),
    dict(type='PairedRawCrop', gt_patch_size=1024, position='centre'),
    dict(type='RemoveWhiteBalance', keys=['gt']),
    dict(type='MakeReference', interpolation='bicubic'),
    dict(type='LRJpgReference'),  # for model.test_cfg.ref_mode='lr_jpg'
    dict(type='PackInputs', keys=['img'], meta_keys=srraw_meta_keys, data_keys=['lr_ref']),
]
test_pipeline = [
    dict(type='LoadRawFromFile', key='img'),
    dict(type='LoadSRRawJpg', key='gt'),
    dict(type='SRRawFovAlign', interpolation='bicubic'),
    dict(type='RemoveWhiteBalance', keys=['gt']),
    dict(type='MakeReference', interpolation='bicubic'),
    dict(type='LRJpgReference'),
    dict(type='PackInputs', keys=['img'], meta_keys=srraw_meta_keys, data_keys=['lr_ref']),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        scale=scale,
        input_mode='raw',
        raw_ext='auto',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        scale=scale,
        input_mode='raw',
        raw_ext='auto',
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        scale=scale,
        input_mode='raw',
        raw_ext='auto',
        test_mode=True,
        pipeline=test_pipeline))

val_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(type='SRRawPSNR', crop_border=32, colour_space='rgb', reapply_wb=True,
             prefix='SRRAW-val-centre1024'),
        dict(type='SRRawSSIM', crop_border=32, colour_space='rgb', reapply_wb=True,
             prefix='SRRAW-val-centre1024'),
    ])
test_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(type='SRRawPSNR', crop_border=32, colour_space='rgb', reapply_wb=True,
             prefix='SRRAW-test'),
        dict(type='SRRawSSIM', crop_border=32, colour_space='rgb', reapply_wb=True,
             prefix='SRRAW-test'),
        dict(type='SRRawLPIPS', crop_border=32, reapply_wb=True, prefix='SRRAW-test'),
        dict(type='SRRawPSNR', crop_border=32, colour_space='y', reapply_wb=True,
             prefix='SRRAW-test'),
        dict(type='SRRawSSIM', crop_border=32, colour_space='y', reapply_wb=True,
             prefix='SRRAW-test'),
        # The same after warping and colour-mapping the target onto the prediction (names end
        # in _aligned): what later work on misaligned pairs reports beside the plain metrics.
        dict(type='SRRawPSNR', crop_border=32, colour_space='rgb', reapply_wb=True,
             align_gt=True, prefix='SRRAW-test'),
        dict(type='SRRawSSIM', crop_border=32, colour_space='rgb', reapply_wb=True,
             align_gt=True, prefix='SRRAW-test'),
        dict(type='SRRawLPIPS', crop_border=32, reapply_wb=True, align_gt=True,
             prefix='SRRAW-test'),
        # SelfDZSR's split (names end in _centre / _corner): the central half of each side, and
        # the four corner blocks outside its rows and columns, a quarter of the area each.
        dict(type='SRRawPSNR', crop_border=32, colour_space='rgb', reapply_wb=True,
             region='centre', prefix='SRRAW-test'),
        dict(type='SRRawSSIM', crop_border=32, colour_space='rgb', reapply_wb=True,
             region='centre', prefix='SRRAW-test'),
        dict(type='SRRawPSNR', crop_border=32, colour_space='rgb', reapply_wb=True,
             region='corner', prefix='SRRAW-test'),
        dict(type='SRRawSSIM', crop_border=32, colour_space='rgb', reapply_wb=True,
             region='corner', prefix='SRRAW-test'),
    ])

# tools/infer.py / MMagic's ImageSuperResolutionInferencer on a bare RAW file: no ground truth,
# so the model must use its self reference (model.test_cfg.ref_mode='self', the default).
# MMagic's inferencer writes pred_img as BGR (its visualize assumes MMagic's BGR predictions,
# mmzoom's SR-RAW path is RGB end to end): pred_channel_order asks SDAN for BGR there. The frame
# shape lets tools/infer.py say how many rows/columns the CFA phase and even sides cost.
# A bare RAW file has no wb.txt: ComputeWbGains computes its gains as compute_wb.py would.
inference_pipeline = [
    dict(type='LoadRawFromFile', key='img'),
    dict(type='ComputeWbGains', key='img'),
    dict(type='SetValues', dictionary=dict(pred_channel_order='BGR')),
    dict(type='PackInputs', keys=['img'],
         meta_keys=['cfa_pattern', 'img_frame_shape', 'img_origin', 'pred_channel_order',
                    'img_wb_gains', 'raw_rgb_cam', 'raw_camera_wb']),
]

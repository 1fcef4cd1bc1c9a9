# A tiny SDAN RAW 4x (16 features, 2 residual blocks) trained for 200 iterations on the
# SR-RAW-shaped tree that `make demo` writes (tools/dataset_converters/srraw/
# make_demo_dataset.py --out data/demo_srraw --size 512 768: Bayer DNGs + camera JPGs, tform.txt,
# wb.txt). Everything else is the full SDAN RAW config (squared DCN, cross packing attention,
# flip-augmented reference, masked losses, the SR-RAW evaluation protocol); only what a 512x768
# frame and a CPU need is changed, and each change is below. It shows the workflow in well under
# a minute on a 2-core CPU; it is not a model worth keeping.
_base_ = ['./sdan_x4c64b16-raw_1xb8-300e_srraw.py']
experiment_name = 'sdan_x4c16b2-raw_1xb2-200i_demo'

data_root = 'data/demo_srraw'
# Borders scaled to the small frames: 8 HR px shaved by the loss and the metrics (32 in the
# paper), 2 px on the input grid for the aligned-LR loss (8).
border = 8

model = dict(
    generator=dict(mid_channels=16, num_blocks=2),
    pixel_loss=dict(border=border),
    align_loss=dict(border=border // 4))

srraw_meta_keys = [
    'cfa_pattern', 'wb_gains', 'scale', 'focal_lengths', 'sequence', 'hr_index', 'lr_index'
]
# Patches of 128 HR px (32 mosaic px): the narrowest pair of a 512 px frame, (3, 7), keeps about
# 50 mosaic rows after the field-of-view crop.
train_pipeline = [
    dict(type='LoadRawFromFile', key='img'),
    dict(type='LoadSRRawJpg', key='gt'),
    dict(type='SRRawFovAlign', interpolation='bicubic'),
    dict(type='CfaSafeFlip', keys=['img', 'gt'], flip_ratio=0.5,
         directions=['horizontal', 'vertical', 'transpose']),
    dict(type='PairedRawCrop', gt_patch_size=128, position='truncnorm'),
    dict(type='RemoveWhiteBalance', keys=['gt']),
    dict(type='MakeReference', interpolation='bicubic'),
    dict(type='PackInputs', keys=['img'], meta_keys=srraw_meta_keys),
]
# Validation on the central 192 HR px of the test pair (the paper's protocol uses 1024).
val_pipeline = [
    dict(type='LoadRawFromFile', key='img'),
    dict(type='LoadSRRawJpg', key='gt'),
    dict(type='SRRawFovAlign', interpolation='bicubic'),
    dict(type='PairedRawCrop', gt_patch_size=192, position='centre'),
    dict(type='RemoveWhiteBalance', keys=['gt']),
    dict(type='MakeReference', interpolation='bicubic'),
    dict(type='LRJpgReference'),
    dict(type='PackInputs', keys=['img'], meta_keys=srraw_meta_keys, data_keys=['lr_ref']),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, dataset=dict(data_root=data_root, pipeline=val_pipeline))
test_dataloader = dict(num_workers=0, dataset=dict(data_root=data_root))

val_evaluator = dict(
    _delete_=True,
    type='Evaluator',
    metrics=[
        dict(type='SRRawPSNR', crop_border=border, colour_space='rgb', reapply_wb=True,
             prefix='SRRAW-val-centre192'),
        dict(type='SRRawSSIM', crop_border=border, colour_space='rgb', reapply_wb=True,
             prefix='SRRAW-val-centre192'),
    ])
test_evaluator = dict(
    _delete_=True,
    type='Evaluator',
    metrics=[
        dict(type='SRRawPSNR', crop_border=border, colour_space='rgb', reapply_wb=True,
             prefix='SRRAW-test'),
        dict(type='SRRawSSIM', crop_border=border, colour_space='rgb', reapply_wb=True,
             prefix='SRRAW-test'),
        dict(type='SRRawLPIPS', crop_border=border, reapply_wb=True, prefix='SRRAW-test'),
        dict(type='SRRawPSNR', crop_border=border, colour_space='y', reapply_wb=True,
             prefix='SRRAW-test'),
        dict(type='SRRawSSIM', crop_border=border, colour_space='y', reapply_wb=True,
             prefix='SRRAW-test'),
        dict(type='SRRawPSNR', crop_border=border, colour_space='rgb', reapply_wb=True,
             align_gt=True, prefix='SRRAW-test'),
        dict(type='SRRawSSIM', crop_border=border, colour_space='rgb', reapply_wb=True,
             align_gt=True, prefix='SRRAW-test'),
    ])

# 200 iterations instead of 300 epochs.
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=200, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = dict(_delete_=True, type='MultiStepLR', by_epoch=False, milestones=[150],
                       gamma=0.5)
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=2),
    logger=dict(interval=50))
log_processor = dict(by_epoch=False, window_size=50)

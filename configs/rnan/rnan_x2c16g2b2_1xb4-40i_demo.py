# A tiny RNAN (16 features, 2 groups x 2 blocks) trained for 40 iterations on the demo dataset of
# tools/dataset_converters/sisr/make_demo_dataset.py: the README's first command runs it. It shows
# the whole workflow on CPU in about two minutes; it is not a model worth keeping.
_base_ = ['../_base_/default_runtime.py']

scale = 2
data_root = 'data/demo'

model = dict(
    type='SISREditModel',
    generator=dict(
        type='RNANNet',
        in_channels=3,
        out_channels=3,
        mid_channels=16,
        num_groups=2,
        num_blocks=2,
        group_concat_interval=1,
        block_concat_interval=1,
        upscale_factor=scale),
    pixel_loss=dict(type='L1Loss', loss_weight=1.0, reduction='mean'),
    train_cfg=dict(),
    test_cfg=dict(self_ensemble=False, round_output=True),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.], std=[255., 255., 255.]))

load = dict(type='LoadImageFromFile', color_type='color', channel_order='rgb',
            imdecode_backend='cv2')
train_pipeline = [
    dict(load, key='img'),
    dict(load, key='gt'),
    dict(type='SetValues', dictionary=dict(scale=scale)),
    dict(type='PairedRandomCrop', gt_patch_size=48),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
    dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
    dict(type='PackInputs')
]
test_pipeline = [dict(load, key='img'), dict(load, key='gt'), dict(type='PackInputs')]
inference_pipeline = [dict(load, key='img'), dict(type='PackInputs')]

train_dataloader = dict(
    num_workers=0,
    batch_size=4,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='BasicImageDataset',
        ann_file='meta_info_DIV2K800sub_GT.txt',
        metainfo=dict(dataset_type='div2k', task_name='sisr'),
        data_root=data_root + '/DIV2K',
        data_prefix=dict(img=f'DIV2K_train_LR_bicubic/X{scale}_sub', gt='DIV2K_train_HR_sub'),
        filename_tmpl=dict(img='{}', gt='{}'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BasicImageDataset',
        metainfo=dict(dataset_type='set5', task_name='sisr'),
        data_root=data_root + '/Set5',
        data_prefix=dict(img=f'LRbicx{scale}', gt='GTmod12'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(type='PSNR', crop_border=scale, convert_to='Y', prefix='Set5'),
        dict(type='SSIM', crop_border=scale, convert_to='Y', prefix='Set5'),
    ])
test_evaluator = val_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=40, val_interval=40)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-4, betas=(0.9, 0.999)))
param_scheduler = dict(type='MultiStepLR', by_epoch=False, milestones=[30], gamma=0.5)

default_hooks = dict(
    checkpoint=dict(interval=20, save_optimizer=True, max_keep_ckpts=5),
    logger=dict(interval=10))
log_processor = dict(window_size=10)

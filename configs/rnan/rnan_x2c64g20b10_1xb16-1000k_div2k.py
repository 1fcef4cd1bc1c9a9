# RNAN x2 (Ai et al., ICIP 2020), trained as in Sec. 3.1: DIV2K's 800 training images, bicubic LR,
# 48x48 LR patches, batch 16, flips + 90-degree rotations, L1, Adam (0.9, 0.999), lr 1e-4 halved
# every 200 "epochs". Evaluated on Set5, Set14, B100, Urban100: PSNR/SSIM on Y, border = scale,
# 8-bit output. c64g20b10 = 64 features, 20 GCRGs of 10 RNA blocks (README.md: why 20 x 10).
#
# Schedule: an "epoch" here is 1000 iterations of batch 16, the convention of the EDSR code that
# RNAN follows (EDSR, RCAN and RDN all halve "every 200 epochs"; MMagic's RDN config turns that
# into milestones every 200k iterations). The paper does not give the total; 1000 epochs = 1000k
# iterations, as RDN and RCAN. README.md gives the other readings (a pass over the 32,592 DIV2K
# sub-images is 2,037 iterations, so 200 such epochs would be 407k iterations).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/sisr_x2_benchmark_test.py',
]

experiment_name = 'rnan_x2c64g20b10_1xb16-1000k_div2k'
work_dir = f'./work_dirs/{experiment_name}'

scale = 2
lr_patch_size = 48

model = dict(
    type='SISREditModel',
    generator=dict(
        type='RNANNet',
        in_channels=3,
        out_channels=3,
        mid_channels=64,
        num_groups=20,
        num_blocks=10,
        group_concat_interval=2,
        block_concat_interval=2,
        upscale_factor=scale),
    pixel_loss=dict(type='L1Loss', loss_weight=1.0, reduction='mean'),
    train_cfg=dict(),
    # RNAN: plain forward; the RNAN+ configs (-selfensemble) switch the x8 ensemble on.
    test_cfg=dict(self_ensemble=False, round_output=True),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.], std=[255., 255., 255.]))

train_pipeline = [
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='LoadImageFromFile', key='gt', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='SetValues', dictionary=dict(scale=scale)),
    dict(type='PairedRandomCrop', gt_patch_size=lr_patch_size * scale),
    # Two flips and a transpose draw uniformly from all 8 rotations/flips of the square.
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
    dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
    dict(type='PackInputs')
]

# What tools/infer.py (MMagic's ImageSuperResolutionInferencer) feeds the model: the LR image only.
inference_pipeline = [
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='PackInputs')
]

# DIV2K's 800 training images as MMagic's sub-images (480x480 HR crops, step 240: 32,592 files;
# tools/dataset_converters/div2k/preprocess_div2k_dataset.py of MMagic writes them).
train_dataloader = dict(
    num_workers=8,
    batch_size=16,
    drop_last=True,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='BasicImageDataset',
        ann_file='meta_info_DIV2K800sub_GT.txt',
        metainfo=dict(dataset_type='div2k', task_name='sisr'),
        data_root='data/DIV2K',
        data_prefix=dict(img=f'DIV2K_train_LR_bicubic/X{scale}_sub', gt='DIV2K_train_HR_sub'),
        filename_tmpl=dict(img='{}', gt='{}'),
        pipeline=train_pipeline))

# Validation during training on Set5 with the test protocol; the best checkpoint by Set5 PSNR.
val_dataloader = _base_.sisr_x2_benchmark_dataloaders[0]
val_evaluator = _base_.sisr_x2_benchmark_evaluators[0]
val_cfg = dict(type='MultiValLoop')

test_dataloader = _base_.sisr_x2_benchmark_dataloaders
test_evaluator = _base_.sisr_x2_benchmark_evaluators
test_cfg = dict(type='MultiTestLoop')

train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000000, val_interval=5000)

optim_wrapper = dict(
    constructor='DefaultOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)))

param_scheduler = dict(
    type='MultiStepLR', by_epoch=False, milestones=[200000, 400000, 600000, 800000], gamma=0.5)
# The paper's batch; tools/train.py --auto-scale-lr scales the lr to the real total batch.
auto_scale_lr = dict(enable=False, base_batch_size=16)

default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=5000,
        by_epoch=False,
        save_optimizer=True,
        max_keep_ckpts=10,
        save_best='Set5/PSNR',
        rule='greater'),
    logger=dict(type='LoggerHook', interval=100))

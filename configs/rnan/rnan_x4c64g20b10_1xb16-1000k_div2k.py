# RNAN x4: the x2 config (schedule and protocol explained there) with scale 4, trained from
# scratch; rnan_x4c64g20b10_1xb16-1000k-x2init_div2k.py starts from a trained x2 model instead.
_base_ = [
    './rnan_x2c64g20b10_1xb16-1000k_div2k.py',
    '../_base_/datasets/sisr_x4_benchmark_test.py',
]

experiment_name = 'rnan_x4c64g20b10_1xb16-1000k_div2k'
work_dir = f'./work_dirs/{experiment_name}'

scale = 4
lr_patch_size = 48

model = dict(generator=dict(upscale_factor=scale))

# A list is replaced as a whole by inheritance: the whole pipeline again, with the x4 crop.
train_pipeline = [
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='LoadImageFromFile', key='gt', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='SetValues', dictionary=dict(scale=scale)),
    dict(type='PairedRandomCrop', gt_patch_size=lr_patch_size * scale),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='vertical'),
    dict(type='RandomTransposeHW', keys=['img', 'gt'], transpose_ratio=0.5),
    dict(type='PackInputs')
]
train_dataloader = dict(
    dataset=dict(
        data_prefix=dict(img=f'DIV2K_train_LR_bicubic/X{scale}_sub'), pipeline=train_pipeline))

val_dataloader = dict(_base_.sisr_x4_benchmark_dataloaders[0], _delete_=True)
val_evaluator = dict(_base_.sisr_x4_benchmark_evaluators[0], _delete_=True)
test_dataloader = _base_.sisr_x4_benchmark_dataloaders
test_evaluator = _base_.sisr_x4_benchmark_evaluators

# SR-RAW 4x pairs with RGB input (SDAN Table 1 "SDAN RGB"): the LR shot's camera JPG replaces
# its RAW, cut and aligned exactly like the mosaic would be, with the LR shot's white balance
# removed (its wb.txt gains). Everything else, the contract and the evaluation protocol are
# those of srraw_x4_raw.py: img is (h, w, 3) float32 RGB on 0..255 instead of (h, w, 1).
_base_ = './srraw_x4_raw.py'

train_pipeline = [
    dict(type='LoadSRRawJpg', key='img'),
    dict(type='LoadSRRawJpg', key='gt'),
    dict(type='SRRawFovAlign', interpolation='bicubic'),
    dict(type='CfaSafeFlip', keys=['img', 'gt'], flip_ratio=0.5,
         directions=['horizontal', 'vertical', 'transpose']),
    dict(type='PairedRawCrop', gt_patch_size=576, position='truncnorm'),
    dict(type='RemoveWhiteBalance', keys=['gt', 'img']),
    dict(type='MakeReference', interpolation='bicubic'),
    dict(type='PackInputs', keys=['img'], meta_keys=_base_.srraw_meta_keys),
]
val_pipeline = [
    dict(type='LoadSRRawJpg', key='img'),
    dict(type='LoadSRRawJpg', key='gt'),
    dict(type='SRRawFovAlign', interpolation='bicubic'),
    dict(type='PairedRawCrop', gt_patch_size=1024, position='centre'),
    dict(type='RemoveWhiteBalance', keys=['gt', 'img']),
    dict(type='MakeReference', interpolation='bicubic'),
    dict(type='PackInputs', keys=['img'], meta_keys=_base_.srraw_meta_keys),
]
test_pipeline = [
    dict(type='LoadSRRawJpg', key='img'),
    dict(type='LoadSRRawJpg', key='gt'),
    dict(type='SRRawFovAlign', interpolation='bicubic'),
    dict(type='RemoveWhiteBalance', keys=['gt', 'img']),
    dict(type='MakeReference', interpolation='bicubic'),
    dict(type='PackInputs', keys=['img'], meta_keys=_base_.srraw_meta_keys),
]

train_dataloader = dict(dataset=dict(input_mode='rgb', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(input_mode='rgb', pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(input_mode='rgb', pipeline=test_pipeline))

# tools/infer.py on a bare camera JPG: there is no wb.txt for a single file, so its white balance
# stays in (the model was trained on white-balance-removed inputs: expect a colour shift).
inference_pipeline = [
    dict(type='LoadSRRawJpg', key='img'),
    dict(type='SetValues', dictionary=dict(pred_channel_order='BGR')),  # see srraw_x4_raw.py
    dict(type='PackInputs', keys=['img'], meta_keys=['pred_channel_order']),
]

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

# The base pipelines with smaller crops. Patches of 128 HR px (32 mosaic px): the narrowest pair
# of a 512 px frame, (3, 7), keeps about 50 mosaic rows after the field-of-view crop.
# Validation on the central 192 HR px of the test pair (the paper's protocol uses 1024).
train_pipeline = [dict(s, gt_patch_size=128) if s['type'] == 'PairedRawCrop' else s
                  for s in _base_.train_pipeline]
val_pipeline = [dict(s, gt_patch_size=192) if s['type'] == 'PairedRawCrop' else s
                for s in _base_.val_pipeline]

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
    metrics=[dict(m, crop_border=border, prefix='SRRAW-val-centre192')
             for m in _base_.val_evaluator.metrics])
# The SR-RAW test protocol with the smaller border (every family: plain, Y, aligned, split).
test_evaluator = dict(
    _delete_=True,
    type='Evaluator',
    metrics=[dict(m, crop_border=border) for m in _base_.test_evaluator.metrics])

# 200 iterations instead of 300 epochs.
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=200, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = dict(_delete_=True, type='MultiStepLR', by_epoch=False, milestones=[150],
                       gamma=0.5)
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=2),
    logger=dict(interval=50))
log_processor = dict(by_epoch=False, window_size=50)

# Inherits the runtime because it adjusts its hooks (epoch-based checkpoints and logging).
_base_ = ['../default_runtime.py']

# SDAN's optimisation (REFERENCE.md, from the public code): Adam lr 2e-4, betas (0.9, 0.99);
# cosine annealing with warm restarts, T_0 = 20 epochs, T_mult = 2, eta_min 1e-5, so the restarts
# fall at epochs 20 / 60 / 140 / 300 and training ends with the fourth period.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.99)))
param_scheduler = dict(
    type='CosineRestartLR',
    by_epoch=True,
    periods=[20, 40, 80, 160],
    restart_weights=[1, 1, 1, 1],
    eta_min=1e-5,
    convert_to_iter_based=True)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300, val_interval=20)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')
# DataLoader workers decode RAW files with LibRaw, whose OpenMP can deadlock in fork()-ed
# processes (rawpy warns about it): start them with forkserver (MMagic's runtime forks).
env_cfg = dict(mp_cfg=dict(mp_start_method='forkserver'))
# The public code trains with batch 8 (REFERENCE.md); the paper used 8 GPUs but does not say
# whether 8 was the batch per GPU or in all. These configs take 8 in all: one GPU at batch 8, or
# 8 GPUs with train_dataloader.batch_size=1; tools/train.py --auto-scale-lr scales the learning
# rate linearly from 8 for any other total.
auto_scale_lr = dict(enable=False, base_batch_size=8)
# save_best='auto' follows the first validation metric, the SR-RAW PSNR, under whatever name its
# protocol gives it (the name carries the border and the crop, which users scale down for small
# images; a fixed name would break the run at its first validation).
default_hooks = dict(
    checkpoint=dict(by_epoch=True, interval=20, max_keep_ckpts=5, save_best='auto',
                    rule='greater'),
    logger=dict(interval=50))
log_processor = dict(by_epoch=True, window_size=50)
# MMagic's image hook (ground truth and zoom of every evaluated sample), and SDAN's alignment
# panels (Y', X', offsets, M', M, zoom) of the first 2 samples of each validation and test run,
# through the visualizer's backends (vis_data/vis_image/ locally; add TensorboardVisBackend to
# visualizer.vis_backends for TensorBoard).
custom_hooks = [
    dict(type='BasicVisualizationHook', interval=1),
    dict(type='AlignmentVisHook', max_samples=2, max_side=512),
]

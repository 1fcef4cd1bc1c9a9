# The x3 test sets of the usual single-image SR benchmark (RNAN, Ai et al., ICIP 2020, Sec. 3.1;
# also EDSR and RDN): Set5, Set14, B100 (folder BSDS100) and Urban100, PSNR and SSIM on the Y
# channel (BT.601) with 3 border pixels cropped. Data layout (MMagic's): data/<set>/GTmod12/*.png
# (HR, sides cut to a multiple of 12) and data/<set>/LRbicx3/*.png (MATLAB bicubic), same names.
#
# Every key carries the scale, so a x3 config can inherit a x2 config plus the x3 twin of this
# file, and a config inheriting one of MMagic's SR configs (whose sisr_x*_test_config.py base
# uses the plain names) can add this file too: two bases may not share a key. Use it as
#     test_cfg = dict(type='MultiTestLoop')
#     test_dataloader = _base_.sisr_x3_benchmark_dataloaders
#     test_evaluator = _base_.sisr_x3_benchmark_evaluators
# with a model that rounds its output to 8 bits before the metrics (SISREditModel): MMagic's
# PSNR/SSIM measure whatever floats they receive. Metric names: <set>/PSNR, <set>/SSIM.

sisr_x3_benchmark_sets = ['Set5', 'Set14', 'BSDS100', 'Urban100']

sisr_x3_benchmark_pipeline = [
    dict(type='LoadImageFromFile', key='img', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='LoadImageFromFile', key='gt', color_type='color', channel_order='rgb',
         imdecode_backend='cv2'),
    dict(type='PackInputs')
]

sisr_x3_benchmark_dataloaders = [
    dict(
        num_workers=4,
        persistent_workers=False,
        drop_last=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='BasicImageDataset',
            metainfo=dict(dataset_type=name.lower(), task_name='sisr'),
            data_root=f'data/{name}',
            data_prefix=dict(img='LRbicx3', gt='GTmod12'),
            pipeline=sisr_x3_benchmark_pipeline)) for name in sisr_x3_benchmark_sets
]

sisr_x3_benchmark_evaluators = [
    dict(
        type='Evaluator',
        metrics=[
            dict(type='PSNR', crop_border=3, convert_to='Y', prefix=name),
            dict(type='SSIM', crop_border=3, convert_to='Y', prefix=name),
        ]) for name in sisr_x3_benchmark_sets
]

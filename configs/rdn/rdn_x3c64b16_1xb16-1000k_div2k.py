# RDN x3 as MMagic trains it (mmagic::rdn/rdn_x3c64b16_1xb16-1000k_div2k.py:
# 16 residual dense blocks of 8 layers, 64 features, growth 64),
# evaluated with the RNAN benchmark protocol so its numbers sit next to configs/rnan/'s: Set5,
# Set14, B100 and Urban100, PSNR/SSIM on Y, 3 border pixels cropped, 8-bit output (MMagic's own
# configs report RGB PSNR/SSIM on Set5, Set14 and DIV2K).
_base_ = [
    'mmagic::rdn/rdn_x3c64b16_1xb16-1000k_div2k.py',
    '../_base_/datasets/sisr_x3_benchmark_test.py',
]

# MMagic's config knows nothing of mmzoom; SISREditModel (same weights, rounded output) is here.
custom_imports = dict(imports=['mmzoom'], allow_failed_imports=False)

experiment_name = 'rdn_x3c64b16_1xb16-1000k_div2k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(type='SISREditModel', test_cfg=dict(self_ensemble=False, round_output=True))

val_dataloader = dict(_base_.sisr_x3_benchmark_dataloaders[0], _delete_=True)
val_evaluator = dict(_base_.sisr_x3_benchmark_evaluators[0], _delete_=True)
test_dataloader = _base_.sisr_x3_benchmark_dataloaders
test_evaluator = _base_.sisr_x3_benchmark_evaluators
test_cfg = dict(type='MultiTestLoop')

# Checkpoints inside work_dir (MMagic sends them to ./work_dirs/<name>), best by Set5 PSNR on Y.
default_hooks = dict(checkpoint=dict(out_dir=None, save_best='Set5/PSNR', rule='greater'))

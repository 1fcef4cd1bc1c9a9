# RNAN x4 initialised from a trained RNAN x2 (the EDSR practice the paper follows [10]): every
# weight but the x4 upsampler's is loaded (MMEngine skips the mismatched shapes with a warning;
# allow_partial_load says that this checkpoint is meant not to match).
# Train rnan_x2c64g20b10_1xb16-1000k_div2k.py first, or point load_from at your x2 checkpoint.
_base_ = './rnan_x4c64g20b10_1xb16-1000k_div2k.py'

experiment_name = 'rnan_x4c64g20b10_1xb16-1000k-x2init_div2k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = './work_dirs/rnan_x2c64g20b10_1xb16-1000k_div2k/iter_1000000.pth'
model = dict(allow_partial_load=True)

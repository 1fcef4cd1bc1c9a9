# RNAN+ x3 (Ai et al., ICIP 2020, Table 1): the RNAN x3 model tested with the x8 self-ensemble
# (average over the 8 flips/rotations of the input, undone on the outputs). A test-time setting
# only: it evaluates checkpoints of rnan_x3c64g20b10_1xb16-1000k_div2k.py unchanged, e.g.
#     python tools/test.py configs/rnan/rnan_x3c64g20b10-selfensemble_1xb16-1000k_div2k.py CKPT
_base_ = './rnan_x3c64g20b10_1xb16-1000k_div2k.py'

experiment_name = 'rnan_x3c64g20b10-selfensemble_1xb16-1000k_div2k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(test_cfg=dict(self_ensemble=True))

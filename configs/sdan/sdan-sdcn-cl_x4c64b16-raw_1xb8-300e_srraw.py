# Table 2 "+ CL-Attention": squared offsets + squeeze-excitation channel attention (reduction 16)
# without packing, no flip augmentation. Paper: 25.73 dB / 0.764 / LPIPS 0.277.
_base_ = ['./sdan_x4c64b16-raw_1xb8-300e_srraw.py']
experiment_name = 'sdan-sdcn-cl_x4c64b16-raw_1xb8-300e_srraw'

model = dict(generator=dict(attention='cl', flip_ref=False))

# Table 2 "SDCN": squared offsets, no attention, no flip augmentation.
# Paper: 26.41 dB / 0.765 / LPIPS 0.282.
_base_ = ['./sdan_x4c64b16-raw_1xb8-300e_srraw.py']
experiment_name = 'sdan-sdcn_x4c64b16-raw_1xb8-300e_srraw'

model = dict(generator=dict(attention='none', flip_ref=False))

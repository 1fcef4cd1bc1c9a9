# Table 2 "DCN": vanilla per-point offsets (18 channels, mmcv's deformable conv), no attention,
# no flip augmentation of the reference. Paper: 20.91 dB / 0.752 / LPIPS 0.281.
_base_ = ['./sdan_x4c64b16-raw_1xb8-300e_srraw.py']
experiment_name = 'sdan-dcn_x4c64b16-raw_1xb8-300e_srraw'

model = dict(
    generator=dict(offset_type='per_point', attention='none', flip_ref=False, dcn_backend='mmcv'))

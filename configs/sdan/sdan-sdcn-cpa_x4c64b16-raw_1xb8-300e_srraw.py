# Table 2 "+ CP-Attention": squared offsets + cross packing attention (K = 8), no flip
# augmentation. Paper: 27.25 dB / 0.791 / LPIPS 0.191. The next row, "++ Flip Augment", is the
# full model: sdan_x4c64b16-raw_1xb8-300e_srraw.py.
_base_ = ['./sdan_x4c64b16-raw_1xb8-300e_srraw.py']
experiment_name = 'sdan-sdcn-cpa_x4c64b16-raw_1xb8-300e_srraw'

model = dict(generator=dict(flip_ref=False))

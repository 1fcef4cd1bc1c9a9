# Table 2 "+ CL-Attention": squared offsets + squeeze-excitation channel attention (reduction 16)
# without packing, no flip-augmented reference. Paper: 25.73 dB / 0.764 / LPIPS 0.277.
# The public code's DFS_CL_Attention differs: per-point offsets and a ReLU before the SE block.
# mmzoom keeps the row's position in Table 2, which adds the attention to the SDCN row above it
# (squared offsets), so that the rows differ by one change each; train the public variant with
# model.generator.offset_type='per_point' model.generator.dcn_backend='mmcv' to follow that code.
_base_ = ['./sdan_x4c64b16-raw_1xb8-300e_srraw.py']
experiment_name = 'sdan-sdcn-cl_x4c64b16-raw_1xb8-300e_srraw'

model = dict(generator=dict(attention='cl', flip_ref=False))

# SDAN, RGB input, 4x (Table 1 "Ours RGB"): the LR camera JPG (white balance removed) replaces
# the mosaic at the same grid. Paper: 29.05 dB / 0.858 / LPIPS 0.149.
_base_ = [
    '../_base_/models/sdan.py',
    '../_base_/datasets/srraw_x4_rgb.py', '../_base_/schedules/sdan_adam_cosine-restart_300e.py'
]
experiment_name = 'sdan_x4c64b16-rgb_1xb8-300e_srraw'

model = dict(generator=dict(in_channels=3))

# The SR-RAW pipeline is RGB end to end: MMagic's visualizer must not swap channels (its
# default bgr2rgb=True assumes MMagic's BGR images and saves red as blue).
visualizer = dict(bgr2rgb=False)

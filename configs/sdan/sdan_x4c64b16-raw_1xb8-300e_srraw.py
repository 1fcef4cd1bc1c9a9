# SDAN, RAW input, 4x (Table 1 "Ours RAW" = Table 2 "++ Flip Augment": squared offsets, cross
# packing attention, flip-augmented reference). Paper: 30.53 dB / 0.870 / LPIPS 0.133.
_base_ = [
    '../_base_/models/sdan.py',
    '../_base_/datasets/srraw_x4_raw.py', '../_base_/schedules/sdan_adam_cosine-restart_300e.py'
]
experiment_name = 'sdan_x4c64b16-raw_1xb8-300e_srraw'

# The network input is a 1-channel mosaic: show ground truth and prediction side by side.
# The SR-RAW pipeline is RGB end to end: MMagic's visualizer must not swap channels (its
# default bgr2rgb=True assumes MMagic's BGR images and saves red as blue).
visualizer = dict(img_keys=['gt_img', 'pred_img'], bgr2rgb=False)

# SDAN Table 1 "Bicubic": the LR shot's camera JPG (white balance removed, as every RGB row's
# input) upsampled 4x by bicubic interpolation, evaluated under the SR-RAW test protocol of
# every other row. Paper: 20.15 dB / 0.615 / LPIPS 0.344.
# It has no parameters and so no checkpoint and no training:
#   python tools/test.py configs/bicubic/bicubic_x4-rgb_srraw.py none
_base_ = ['../_base_/datasets/srraw_x4_rgb.py', '../_base_/default_runtime.py']
experiment_name = 'bicubic_x4-rgb_srraw'

model = dict(
    type='SISREditModel',
    generator=dict(type='BicubicUpsampler', upscale_factor=4, in_channels=3),
    pixel_loss=dict(type='L1Loss'),  # required by the editor, never used
    # Tiles with 32 px of context are exact (the cubic kernel reaches 2 px); not rounded, as SDAN.
    test_cfg=dict(round_output=False, tile=dict(size=256, overlap=32)),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0.], std=[255.]))

# Evaluation only.
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='MultiTestLoop')

# The SR-RAW pipeline is RGB end to end: MMagic's visualizer must not swap channels (its
# default bgr2rgb=True assumes MMagic's BGR images and saves red as blue).
visualizer = dict(bgr2rgb=False)

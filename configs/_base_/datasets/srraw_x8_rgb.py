# SR-RAW 8x pairs (HR 1, LR 6) with RGB input: the pipelines of srraw_x4_rgb.py (LR camera JPG,
# white balance removed) at scale 8, as in srraw_x8_raw.py.
_base_ = './srraw_x4_rgb.py'

scale = 8

train_dataloader = dict(dataset=dict(scale=scale))
val_dataloader = dict(dataset=dict(scale=scale))
test_dataloader = dict(dataset=dict(scale=scale))

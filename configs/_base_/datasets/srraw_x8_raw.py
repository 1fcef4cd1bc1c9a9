# SR-RAW 8x pairs with RAW input (SDAN's 8x setting): (HR shot 1, LR shot 6) for training and
# testing; the target is 8x the mosaic grid. Same pipeline, contract and evaluation protocol as
# srraw_x4_raw.py; training patches are HR 576 <-> mosaic 72 (as the public code crops 8x).
_base_ = './srraw_x4_raw.py'

scale = 8

train_dataloader = dict(dataset=dict(scale=scale))
val_dataloader = dict(dataset=dict(scale=scale))
test_dataloader = dict(dataset=dict(scale=scale))

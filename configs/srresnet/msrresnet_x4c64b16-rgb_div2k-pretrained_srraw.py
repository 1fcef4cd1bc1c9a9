# SDAN Table 1 "SRResNet [3]*" (pre-trained elsewhere): MMagic's MSRResNet x4 trained on DIV2K
# (bicubic LR), evaluated on the SR-RAW 4x test pairs, RGB input. Paper: 23.13 / 0.683 / 0.364.
# The weights are MMagic's model-zoo file (mmagic::srgan_resnet/metafile.yml, config
# msrresnet_x4c64b16_1xb16-1000k_div2k.py); nothing is downloaded by mmzoom's tools, so fetch
# the file first and give it to tools/test.py:
#   python tools/test.py configs/srresnet/msrresnet_x4c64b16-rgb_div2k-pretrained_srraw.py \
#       msrresnet_x4c64b16_1x16_300k_div2k_20200521-61556be5.pth
# MMagic's DIV2K model reads RGB on 0..1 (std 255) as here. Its LR inputs were bicubic
# downsampled sRGB with white balance; here they are camera JPGs with white balance removed
# (re-applied before the metrics), as for every RGB row.
# The L1 config's model (MSRResNet in SISREditModel, tiled test path), evaluation only.
_base_ = ['./msrresnet_x4c64b16-rgb_1xb8-300e_srraw.py']
experiment_name = 'msrresnet_x4c64b16-rgb_div2k-pretrained_srraw'

load_from = ('https://download.openmmlab.com/mmediting/restorers/srresnet_srgan/'
             'msrresnet_x4c64b16_1x16_300k_div2k_20200521-61556be5.pth')

# Evaluation only.
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='MultiTestLoop')

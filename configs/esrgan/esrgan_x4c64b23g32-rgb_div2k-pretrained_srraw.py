# SDAN Table 1 "ESRGAN [19]*" (pre-trained elsewhere): MMagic's ESRGAN x4 generator (RRDBNet,
# 23 RRDB blocks, growth 32) trained on DIV2K, evaluated on the SR-RAW 4x test pairs, RGB
# input. Paper: 22.12 / 0.603 / 0.311. Weights: MMagic's model zoo
# (mmagic::esrgan/metafile.yml, config esrgan_x4c64b23g32_1xb16-400k_div2k.py); the file also
# holds the discriminator, so:
#   python tools/test.py configs/esrgan/esrgan_x4c64b23g32-rgb_div2k-pretrained_srraw.py \
#       esrgan_x4c64b23g32_1x16_400k_div2k_20200508-f8ccaf3b.pth --allow-partial
_base_ = ['../srresnet/msrresnet_x4c64b16-rgb_div2k-pretrained_srraw.py']
experiment_name = 'esrgan_x4c64b23g32-rgb_div2k-pretrained_srraw'

load_from = ('https://download.openmmlab.com/mmediting/restorers/esrgan/'
             'esrgan_x4c64b23g32_1x16_400k_div2k_20200508-f8ccaf3b.pth')

model = dict(
    generator=dict(
        _delete_=True,
        type='RRDBNet',
        in_channels=3,
        out_channels=3,
        mid_channels=64,
        num_blocks=23,
        growth_channels=32,
        upscale_factor=4),
    # RRDBNet's receptive field (over 300 input px) is far wider than any useful context, so
    # tiles are close to, not equal to, the whole-image run (README.md); tile=None runs whole.
    test_cfg=dict(tile=dict(size=256, overlap=32)))

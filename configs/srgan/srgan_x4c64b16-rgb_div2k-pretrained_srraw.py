# SDAN Table 1 "SRGAN [3]*" (pre-trained elsewhere): MMagic's SRGAN x4 generator (MSRResNet)
# trained on DIV2K, evaluated on the SR-RAW 4x test pairs, RGB input. Paper: 20.31 / 0.384 /
# 0.260. Weights: MMagic's model zoo (mmagic::srgan_resnet/metafile.yml, config
# srgan_x4c64b16_1xb16-1000k_div2k.py). The file also holds the discriminator (and MMagic's
# perceptual loss VGG), which evaluation does not build: --allow-partial loads the generator
# keys (MMEngine logs the keys it leaves out):
#   python tools/test.py configs/srgan/srgan_x4c64b16-rgb_div2k-pretrained_srraw.py \
#       srgan_x4c64b16_1x16_1000k_div2k_20200606-a1f0810e.pth --allow-partial
# The same command evaluates the generator of srgan_x4c64b16-rgb_1xb16-400k_srraw.py in tiles.
_base_ = ['../srresnet/msrresnet_x4c64b16-rgb_div2k-pretrained_srraw.py']
experiment_name = 'srgan_x4c64b16-rgb_div2k-pretrained_srraw'

load_from = ('https://download.openmmlab.com/mmediting/restorers/srresnet_srgan/'
             'srgan_x4c64b16_1x16_1000k_div2k_20200606-a1f0810e.pth')

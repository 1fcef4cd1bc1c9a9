# ESRGAN (Wang et al. 2018) as MMagic trains it, on SR-RAW 4x with RGB input and the SR-RAW
# evaluation protocol: MMagic's ESRGAN model (relativistic GAN), RRDBNet generator started from
# MMagic's PSNR-oriented DIV2K RRDBNet (init_cfg, downloaded by MMEngine when training starts,
# as in MMagic), ModifiedVGG discriminator, losses and schedule, copied from
# mmagic::esrgan/esrgan_x4c64b23g32_1xb16-400k_div2k.py (held equal by
# tests/test_tools/test_baseline_configs.py; why a copy: srgan_x4c64b16-rgb_1xb16-400k_srraw.py).
# SDAN's "ESRGAN*" row is MMagic's DIV2K model: esrgan_x4c64b23g32-rgb_div2k-pretrained_srraw.py.
_base_ = ['../srgan/srgan_x4c64b16-rgb_1xb16-400k_srraw.py']
experiment_name = 'esrgan_x4c64b23g32-rgb_1xb16-400k_srraw'

pretrain_generator_url = (
    'https://download.openmmlab.com/mmediting/restorers/esrgan'
    '/esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth')
model = dict(
    type='TiledESRGAN',
    generator=dict(
        _delete_=True,
        type='RRDBNet',
        in_channels=3,
        out_channels=3,
        mid_channels=64,
        num_blocks=23,
        growth_channels=32,
        upscale_factor=4,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrain_generator_url, prefix='generator.')))

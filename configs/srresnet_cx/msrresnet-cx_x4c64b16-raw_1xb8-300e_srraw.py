# SDAN Table 1 "SRResNet+CX [5]", RAW input: the paper's strongest baseline, SRResNet trained
# with the contextual loss on the SR-RAW 4x mosaic (zoom-learn-zoom, Zhang et al. CVPR 2019).
# Paper: 26.88 dB / 0.781 / LPIPS 0.190. The RAW L1 config (MosaicMSRResNet) with the loss of
# the RGB "+CX" config.
_base_ = ['../srresnet/msrresnet_x4c64b16-raw_1xb8-300e_srraw.py']
experiment_name = 'msrresnet-cx_x4c64b16-raw_1xb8-300e_srraw'

# The loss's defaults are the settings spelt out in the RGB "+CX" config (zoom-learn-zoom's).
model = dict(pixel_loss=dict(_delete_=True, type='ContextualLoss', pretrained=True))

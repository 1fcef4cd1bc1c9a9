# SDAN Table 1 "SRResNet+CX [5]", RGB input: SRResNet trained with the contextual loss on
# SR-RAW 4x (zoom-learn-zoom, Zhang et al. CVPR 2019). Paper: 22.34 dB / 0.589 / LPIPS 0.305.
# The L1 config with the loss replaced: VGG19 conv1_2, conv2_2, conv3_2 (weights 1, 1, 0.5),
# 3969 sampled positions per layer, h = 0.5, on images in 0..1. zoom-learn-zoom trained its own
# network with CoBi (this CX plus a spatial term, type='CoBiLoss') on VGG features and RGB
# patches; configs/srresnet_cx/README.md says what differs.
_base_ = ['../srresnet/msrresnet_x4c64b16-rgb_1xb8-300e_srraw.py']
experiment_name = 'msrresnet-cx_x4c64b16-rgb_1xb8-300e_srraw'

model = dict(
    pixel_loss=dict(
        _delete_=True,
        type='ContextualLoss',
        loss_weight=1.0,
        features='vgg19',
        layer_weights={'conv1_2': 1.0, 'conv2_2': 1.0, 'conv3_2': 0.5},
        band_width=0.5,
        eps=1e-3,
        num_positions=3969,
        spatial_weight=0.0,
        patch_size=None,
        # torchvision's ImageNet VGG19 from its cache (nothing is downloaded; a missing file
        # is one line naming it); False builds random weights, for smoke tests only.
        pretrained=True))

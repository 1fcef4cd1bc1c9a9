import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config

from conftest import DEMO_CONFIG
from mmagic.registry import DATASETS


def test_layout_is_what_mmagic_basic_image_dataset_reads(demo_sisr_root):
    cfg = Config.fromfile(DEMO_CONFIG)
    train = dict(cfg.train_dataloader.dataset, data_root=f'{demo_sisr_root}/DIV2K')
    dataset = DATASETS.build(train)
    assert len(dataset) == 4  # 2 photos x 2 patches
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        gt, lr = cv2.imread(info['gt_path']), cv2.imread(info['img_path'])
        assert gt.shape == (48, 48, 3) and lr.shape == (24, 24, 3)
    test = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=f'{demo_sisr_root}/Set5'))
    names = [osp.basename(test.get_data_info(i)['gt_path']) for i in range(len(test))]
    assert sorted(names) == ['astronaut.png', 'coffee.png']


def test_lr_is_matlab_bicubic_of_hr(demo_sisr_root):
    from mmagic.datasets.transforms import MATLABLikeResize
    hr = cv2.imread(osp.join(demo_sisr_root, 'Set5', 'GTmod12', 'coffee.png'))[..., ::-1]
    for scale in (2, 3, 4):
        lr = cv2.imread(osp.join(demo_sisr_root, 'Set5', f'LRbicx{scale}', 'coffee.png'))[..., ::-1]
        ref = MATLABLikeResize(keys=['img'], scale=1 / scale)(dict(img=hr.astype(np.float32)))['img']
        assert lr.shape[:2] == (48 // scale, 48 // scale)
        # bicubic overshoots below 0 / above 255 near edges: the saved 8-bit image clips
        assert np.array_equal(lr, np.clip(np.round(ref), 0, 255).astype(np.uint8))

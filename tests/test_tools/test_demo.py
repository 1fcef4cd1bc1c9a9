"""The README's first command (tools/demo.py, `make demo`) runs mmzoom's main job: SDAN on RAW,
trained, tested and zooming a bare DNG, with a quiet stderr."""
import glob
import json
import os.path as osp
import re

import cv2
import pytest

from conftest import run_tool

# What third-party packages and MMEngine print on every run and must not reach a user.
NOISE = re.compile(r'Warning|WARNING|_register_pytree_node|Overwriting|mediapipe|timm\.models|'
                   r'is not a meta file|FileClient|HardDiskBackend|Failed to add')


@pytest.mark.slow
def test_demo_trains_tests_and_zooms_with_sdan_on_raw(tmp_path):
    proc = run_tool(['tools/demo.py', '--skip-rnan', '--data', str(tmp_path / 'data'),
                     '--work-dir', str(tmp_path / 'work')], timeout=600)
    work = tmp_path / 'work' / 'demo_sdan'
    assert 'SDAN RAW 4x (configs/sdan/sdan_x4c16b2-raw_1xb2-200i_demo.py)' in proc.stdout
    metrics = json.load(open(work / 'test_metrics.json'))
    # the SR-RAW protocol, with the demo's 8 px borders
    assert {k.split('/')[-1] for k in metrics} >= {
        'PSNR_rgb_wb_b8', 'SSIM_rgb_wb_b8', 'PSNR_y_wb_b8', 'SSIM_y_wb_b8',
        'PSNR_rgb_wb_b8_aligned', 'SSIM_rgb_wb_b8_aligned',  # the protocol families
        'PSNR_rgb_wb_b8_centre', 'SSIM_rgb_wb_b8_centre', 'PSNR_rgb_wb_b8_corner'}
    # AlignmentVisHook's panels, from both validations of the training run and from the test
    panels = {osp.basename(p): p for p in glob.glob(str(work / '*' / 'vis_data' / 'vis_image' /
                                                        '*_alignment_*.png'))}
    assert {'val_alignment_1_100.png', 'val_alignment_1_200.png'} <= set(panels), panels
    assert any(name.startswith('test_alignment_1_') for name in panels), panels
    panel = cv2.imread(panels['val_alignment_1_200.png'])
    assert panel.shape[1] == 6 * panel.shape[0] and panel.std() > 5  # 6 square maps, not blank
    zoomed = cv2.imread(str(work / 'zoomed_00006.png'))
    assert zoomed.shape == (4 * 512, 4 * 768 - 8, 3)  # GRBG -> RGGB costs one column, even sides
    noisy = [line for line in (proc.stdout + proc.stderr).splitlines() if NOISE.search(line)]
    assert not noisy, noisy
    assert osp.isfile(work / 'iter_200.pth')

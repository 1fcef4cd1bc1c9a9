"""ONNX export of SDAN and RNAN with standard operators, run by ONNX Runtime: the exported
graphs pass onnx.checker and equal PyTorch within 1e-4 at sizes other than the traced one; the
tiled run through the exported stages equals the whole-image run; the per-point DCN row and a
mismatched export are refused in one line; tools/infer.py --backend onnxruntime writes the
PyTorch path's image."""
import glob
import os.path as osp

import numpy as np
import pytest
import tifffile
import torch

import onnx  # requirements/deploy.txt: part of the README's environment, never skipped
from mmagic.registry import MODELS

from conftest import ROOT, SDAN_RAW_CONFIG as SDAN_RAW, SMALL_SDAN as SMALL, run_tool
from mmzoom.apis import TensorReference, sdan_tiled_forward
from mmzoom.apis.onnx_export import ExportError, export_model, tiles_dir
from mmzoom.apis.onnx_runtime import OnnxModelError, onnx_generator
from mmzoom.models.layers import CrossPackingAttention



def sdan(**kw) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = dict(type='SDANNet', mid_channels=16, num_blocks=1, dcn_backend='mmcv')
    net = MODELS.build(dict(cfg, **kw)).eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, CrossPackingAttention) and m.gamma is not None:
                m.gamma.fill_(0.5)  # 0 at initialisation would hide the attention
    return net


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / a.abs().max())


@pytest.mark.parametrize('kw', [
    dict(in_channels=1),                                    # full SDAN, RAW 4x
    dict(in_channels=3, upscale_factor=8),                  # RGB 8x
    dict(in_channels=1, attention='cl', flip_ref=False),    # + CL-Attention (SE, K = 1)
    dict(in_channels=1, cpa_mode='se', pack_size=4),        # SE on packed blocks
], ids=['raw4x', 'rgb8x', 'cl', 'se-packed'])
def test_sdan_exports_and_runs_like_pytorch(kw, tmp_path):
    net = sdan(**kw)
    path = str(tmp_path / 'sdan.onnx')
    files = export_model(net, path, shape=(32, 40), generator_cfg=dict(type='SDANNet', **kw))
    assert files[0] == path and all(osp.isfile(f) for f in files)
    # The export traced a copy: the network compared against below keeps mmcv's op.
    assert net.align.dcn.backend == 'mmcv'

    for f in files:
        onnx.checker.check_model(onnx.load(f), full_check=True)
    ort_net = onnx_generator(net, path, dict(type='SDANNet', **kw))
    # The traced size, and sizes neither K nor 2 divide (the attention pads; shapes dynamic).
    for size in ((32, 40), (37, 53), (18, 90)):
        x = torch.rand(1, net.in_channels, *size)
        ref = torch.rand(1, 3, *size)
        with torch.no_grad():
            want = net(x, ref)
        got = ort_net(x, ref)
        for a, b in zip(want, got):
            assert a.shape == b.shape
            assert rel(a, b) < 1e-4
    # Tiled through the exported stages, against PyTorch's whole-image run.
    x, ref = torch.rand(1, net.in_channels, 48, 56), torch.rand(1, 3, 48, 56)
    with torch.no_grad():
        whole = net(x, ref)
    tiled = sdan_tiled_forward(ort_net, x, TensorReference(ref), 16)
    for a, b in zip(whole, tiled):
        assert rel(a, b) < 1e-4 if a.abs().max() > 0 else torch.equal(a, b)


def test_rnan_exports_and_runs_like_pytorch(tmp_path):
    torch.manual_seed(0)
    net = MODELS.build(dict(type='RNANNet', in_channels=3, out_channels=3, mid_channels=16,
                            num_groups=2, num_blocks=1, group_concat_interval=1,
                            block_concat_interval=1, upscale_factor=4)).eval()
    path = str(tmp_path / 'rnan.onnx')
    assert export_model(net, path, shape=(24, 24), dynamic_batch=True) == [path]
    onnx.checker.check_model(onnx.load(path), full_check=True)
    assert not osp.exists(tiles_dir(path))
    ort_net = onnx_generator(net, path)
    for shape in ((1, 3, 24, 24), (2, 3, 19, 33)):
        x = torch.rand(*shape)
        with torch.no_grad():
            want = net(x)
        got = ort_net(x)
        assert got.shape == (shape[0], 3, shape[2] * 4, shape[3] * 4)
        assert rel(want, got) < 1e-4


def test_per_point_dcn_and_mismatched_files_are_refused(tmp_path):
    with pytest.raises(ExportError, match='per-point deformable convolution'):
        export_model(sdan(offset_type='per_point', attention='none', flip_ref=False),
                     str(tmp_path / 'dcn.onnx'))
    net = sdan()
    path = str(tmp_path / 'sdan.onnx')
    export_model(net, path, shape=(16, 16), generator_cfg=dict(type='SDANNet', mid_channels=16))
    with pytest.raises(OnnxModelError, match='mid_channels 16 in the file, 64 in the config'):
        onnx_generator(net, path, dict(type='SDANNet', mid_channels=64))
    with pytest.raises(OnnxModelError, match='does not exist'):
        onnx_generator(net, str(tmp_path / 'missing.onnx'))
    # A single-input graph that is not an export of ours (its input named otherwise).
    foreign = str(tmp_path / 'foreign.onnx')
    torch.onnx.export(torch.nn.Conv2d(3, 3, 3), (torch.rand(1, 3, 8, 8),), foreign,
                      dynamo=False, input_names=['img'])
    rnan = MODELS.build(dict(type='RNANNet', mid_channels=16, num_groups=1, num_blocks=1,
                             group_concat_interval=1, block_concat_interval=1))
    with pytest.raises(OnnxModelError, match="takes inputs \\['img'\\], not the single input 'x'"):
        onnx_generator(rnan, foreign)
    (tmp_path / 'bad.onnx').write_bytes(b'not a model')
    with pytest.raises(OnnxModelError, match='not a readable ONNX model'):
        onnx_generator(net, str(tmp_path / 'bad.onnx'))


@pytest.mark.slow
def test_export_tool_and_onnxruntime_infer_give_the_pytorch_image(small_sdan_ckpt, tmp_path):
    from mmzoom.raw.synthetic import make_demo_srraw
    make_demo_srraw(str(tmp_path / 'raw'), size=(120, 182), pattern='GRBG', train_sequences=1,
                    test_sequences=0)
    dng = sorted(glob.glob(str(tmp_path / 'raw' / 'train' / '*' / '00006.dng')))[0]
    onnx_path = str(tmp_path / 'sdan.onnx')
    proc = run_tool(['tools/deployment/pytorch2onnx.py', SDAN_RAW, small_sdan_ckpt, onnx_path,
                     '--shape', '48', '64'] + SMALL)
    assert 'equals PyTorch within 0.0001' in proc.stdout and 'in tiles of' in proc.stdout
    outs = {}
    for backend, ckpt in (('pytorch', small_sdan_ckpt), ('onnxruntime', onnx_path)):
        outs[backend] = str(tmp_path / f'{backend}.tif')
        proc = run_tool(['tools/infer.py', SDAN_RAW, ckpt, '--img', dng, '--out', outs[backend],
                         '--tile', '32', '--no-progress', '--backend', backend] + SMALL)
        assert 'tiles of 32 px' in proc.stdout
    a, b = (tifffile.imread(outs[k]).astype(int) for k in ('pytorch', 'onnxruntime'))
    assert a.shape == b.shape == (480, 720, 3)
    assert np.abs(a - b).max() <= 1  # float rounding: one 16-bit step at most
    assert a.std() > 100  # a real image, not a constant one

    # Bad requests: one line each.
    bad = run_tool(['tools/deployment/pytorch2onnx.py',
                    osp.join(ROOT, 'configs', 'sdan', 'sdan-dcn_x4c64b16-raw_1xb8-300e_srraw.py'),
                    small_sdan_ckpt, str(tmp_path / 'dcn.onnx')], check=False)
    assert bad.returncode == 2 and 'per-point deformable convolution' in bad.stderr
    assert 'Traceback' not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    bad = run_tool(['tools/deployment/pytorch2onnx.py', SDAN_RAW, small_sdan_ckpt,
                    '/proc/mmzoom/sdan.onnx'] + SMALL, check=False)
    assert bad.returncode == 2 and bad.stderr.startswith('error: cannot write /proc/mmzoom')
    assert 'Traceback' not in bad.stderr
    bad = run_tool(['tools/infer.py', SDAN_RAW, onnx_path, '--img', dng, '--out',
                    str(tmp_path / 'x.tif'), '--backend', 'onnxruntime'], check=False)
    assert bad.returncode == 2 and 'exported from another generator' in bad.stderr
    assert 'Traceback' not in bad.stderr

import os.path as osp
import re

import torch

from conftest import ROOT, run_tool


def test_publish_strips_to_weights_and_stamps_name(tmp_path):
    from mmengine.logging.history_buffer import HistoryBuffer
    src = str(tmp_path / 'iter_4.pth')
    state = {'generator.conv.weight': torch.randn(2, 2, 3, 3)}
    torch.save({'meta': {'iter': 4, 'cfg': 'x = 1'}, 'state_dict': state,
                'message_hub': {'log_scalars': {'loss': HistoryBuffer()}},
                'optimizer': {'state': {}, 'param_groups': []}}, src)
    proc = run_tool(['tools/model_converters/publish_model.py', src, str(tmp_path / 'rnan_x2.pth')])
    final = proc.stdout.strip().split()[-1]
    assert re.fullmatch(r'rnan_x2_\d{8}-[0-9a-f]{8}\.pth', osp.basename(final)), final
    out = torch.load(final, weights_only=True)
    assert set(out) == {'state_dict', 'meta'}
    assert out['meta']['iter'] == 4 and 'mmzoom_version' in out['meta']
    assert torch.equal(out['state_dict']['generator.conv.weight'], state['generator.conv.weight'])

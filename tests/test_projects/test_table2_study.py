"""projects/synthetic_zoom/tools/table2_study.py --quick: every Table 2 row and the same-size
SRResNet train through tools/train.py, test through tools/test.py and are scored against the
generator's truth; the true displacement field it scores offsets against moves the LR JPG onto
Y' (so the field is right, whatever the 4-iteration models learned)."""
import json
import math

import pytest

from conftest import run_tool

TOOL = 'projects/synthetic_zoom/tools/table2_study.py'


@pytest.mark.slow
def test_quick_study_runs_every_row_and_its_truth_field_is_right(tmp_path):
    work = tmp_path / 'study'
    proc = run_tool([TOOL, '--work-dir', str(work), '--quick'], timeout=900)
    with open(work / 'table2_study.json') as f:
        results = json.load(f)
    assert list(results) == ['dcn', 'sdcn', 'sdcn-cl', 'sdcn-cpa', 'sdan', 'srresnet-l1']
    table = (work / 'table2_study.md').read_text()
    assert table in proc.stdout and table.count('\n| ') == 1 + 1 + 6  # header, rule, rows
    sdan_params = results['sdan']['params']
    for row, r in results.items():
        assert math.isfinite(r['truth']['psnr']) and 5 < r['truth']['psnr'] < 60
        assert any(k.endswith('PSNR_rgb_wb_b8') for k in r['srraw'])
        assert ('slope' in r['truth']) == (row != 'srresnet-l1')
        for pair in r['truth']['pairs']:
            # The field is the displacement Y' shows: moving the LR JPG by it brings it closer,
            # moving it the other way takes it further.
            assert pair['ref_err_moved'] < 0.9 * pair['ref_err_unmoved']
            assert pair['ref_err_unmoved'] < 0.9 * pair['ref_err_reversed']
            assert pair['residual_px'] > 0.2  # distortion and parallax the ECC warps leave
    # The baseline has about SDAN's size.
    assert abs(results['srresnet-l1']['params'] - sdan_params) < 0.35 * sdan_params


def test_bad_requests_are_one_line(tmp_path):
    bad = run_tool([TOOL, '--work-dir', str(tmp_path), '--data-root', str(tmp_path)],
                   check=False)
    assert bad.returncode == 2 and 'has no truth/ folder' in bad.stderr
    assert 'Traceback' not in bad.stderr
    bad = run_tool([TOOL, '--work-dir', str(tmp_path), '--iters', '0'], check=False)
    assert bad.returncode == 2 and '--iters must be >= 1' in bad.stderr

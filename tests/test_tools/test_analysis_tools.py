"""tools/analysis_tools: count_params.py, get_flops.py and benchmark_sisr.py."""
import importlib.util
import os.path as osp
import re

import pytest

from conftest import DEMO_CONFIG, ROOT, run_tool

RNAN = osp.join(ROOT, 'configs', 'rnan', 'rnan_x{}c64g20b10_1xb16-1000k_div2k.py')
PAPER_PARAMS = 17.30e6  # Ai et al., ICIP 2020, Table 2


def _main(tool, argv, capsys):
    """Run tools/analysis_tools/<tool> in this process; returns (exit code, stdout, stderr)."""
    spec = importlib.util.spec_from_file_location(
        f'_analysis_{tool[:-3]}', osp.join(ROOT, 'tools', 'analysis_tools', tool))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from mmzoom.utils.cli import run_cli
    code = 0
    try:
        run_cli(module.main, argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _params(stdout):
    last = stdout.strip().splitlines()[-1]
    match = re.fullmatch(r'params: (\d+)', last)
    assert match, last
    return int(match.group(1))


@pytest.mark.slow
def test_count_params_of_rnan_x2_as_a_user_runs_it():
    proc = run_tool(['tools/analysis_tools/count_params.py', RNAN.format(2)])
    n = _params(proc.stdout)
    assert 17_120_000 <= n < 17_130_000, n
    assert re.search(r'^generator\s+17,12\d,\d{3}$', proc.stdout, re.M), proc.stdout
    assert re.search(r'^  body\s', proc.stdout, re.M)


def test_rnan_parameter_counts_match_the_paper(capsys):
    counts = {}
    for s in (2, 3, 4):
        code, out, _ = _main('count_params.py', [RNAN.format(s)], capsys)
        assert code == 0
        counts[s] = _params(out)
    errors = {s: abs(n - PAPER_PARAMS) / PAPER_PARAMS for s, n in counts.items()}
    assert max(errors.values()) < 0.02, counts
    assert min(errors.values()) < 0.005, counts


def test_count_params_takes_cfg_options(capsys):
    code, out, _ = _main('count_params.py', [DEMO_CONFIG, '--cfg-options',
                                             'model.generator.num_groups=1'], capsys)
    code2, out2, _ = _main('count_params.py', [DEMO_CONFIG], capsys)
    assert code == code2 == 0 and 0 < _params(out) < _params(out2)


@pytest.mark.parametrize('tool, extra', [('count_params.py', []),
                                         ('get_flops.py', ['--shape', '8', '8'])])
def test_missing_config_is_one_line(tool, extra, capsys):
    code, _, err = _main(tool, ['configs/nope.py'] + extra, capsys)
    assert code == 2 and err.strip() == 'error: config file not found: configs/nope.py'


def test_get_flops_of_the_generator(capsys):
    code, out, _ = _main('get_flops.py', [DEMO_CONFIG, '--shape', '12', '16'], capsys)
    assert code == 0
    flops = int(re.search(r'^flops: (\d+)$', out, re.M).group(1))
    code, out2, _ = _main('count_params.py', [DEMO_CONFIG], capsys)
    assert _params(out) == _params(out2)
    # The 3x3 convs alone: every RNA block has two 16->16 convs at 12x16 positions.
    assert flops > 2 * 2 * 2 * 16 * 16 * 9 * 12 * 16
    code, out3, _ = _main('get_flops.py', [DEMO_CONFIG, '--shape', '24', '32'], capsys)
    flops4 = int(re.search(r'^flops: (\d+)$', out3, re.M).group(1))
    assert 3.5 * flops < flops4 < 4.5 * flops  # fully convolutional: linear in the pixels


def test_benchmark_prints_a_table_and_progress(capsys):
    code, out, err = _main('benchmark_sisr.py', ['--size', '8', '8', '--warmup', '1',
                                                 '--repeat', '2', '--device', 'cpu'], capsys)
    assert code == 0, err
    rows = [line for line in out.splitlines() if re.match(r'\| (rnan|rdn|edsr)\s', line)]
    assert [r.split('|')[1].strip() for r in rows] == ['rnan', 'rdn', 'edsr']
    assert re.search(r'\| rdn\s+\| cpu\s+\|.*\|\s+1\.00x \|', out), out
    assert len(re.findall(r'^\[(rnan|rdn|edsr) x4 \| cpu\] (warm-up|run) ', err, re.M)) == 9


@pytest.mark.slow
def test_benchmark_inference_reports_whole_tiled_and_streamed():
    proc = run_tool(['tools/analysis_tools/benchmark_inference.py', '--sizes', '48x80',
                     '--tile', '32', '--backends', 'pytorch', 'onnxruntime'], timeout=600)
    rows = [line for line in proc.stdout.splitlines() if line.startswith('| 80x48')]
    cells = [[c.strip() for c in r.split('|')] for r in rows[:6]]
    assert [(c[2].split()[0], c[3]) for c in cells] == [
        (b, m) for m in ('whole', 'tiled', 'stream') for b in ('pytorch', 'onnxruntime')]
    # Full SDAN with its attention awake: tiles of 32 px reproduce the whole run, and ONNX
    # Runtime (the exported graphs) reproduces PyTorch, whole and in tiles.
    for row in rows[2:4]:
        assert float(re.search(r'vs whole ([0-9.e+-]+), PSNR', row).group(1)) <= 1e-4
    for row in (rows[1], rows[3]):
        assert float(re.search(r'vs PyTorch ([0-9.e+-]+), PSNR', row).group(1)) <= 1e-4
    assert 'extrapolated full frame 7952x5304' in proc.stdout


@pytest.mark.slow
def test_benchmark_loader_compares_the_raw_path_and_the_store(tmp_path):
    from mmzoom.raw.synthetic import make_demo_srraw
    tree = str(tmp_path / 'srraw')
    make_demo_srraw(tree, size=(1600, 2400), train_sequences=1, test_sequences=0)
    proc = run_tool(['tools/analysis_tools/benchmark_loader.py', tree, str(tmp_path / 'store'),
                     '--workers', '0', '--raw-samples', '2', '--store-samples', '20'],
                    timeout=300)
    rates = {m: float(r) for m, r in re.findall(r'^\| (raw|store) \| 0 \| ([0-9.]+) \|',
                                                 proc.stdout, re.M)}
    assert set(rates) == {'raw', 'store'} and rates['store'] > rates['raw'] > 0, proc.stdout
    assert 'patch: input [1, 144, 144], target [3, 576, 576]' in proc.stdout
    assert re.search(r'--hr-bits 8: .* GB train', proc.stdout)


@pytest.mark.slow
def test_compare_references_scores_self_and_lr_jpg_against_y(tmp_path):
    from mmzoom.raw.synthetic import make_demo_srraw
    tree = str(tmp_path / 'srraw')
    make_demo_srraw(tree, size=(256, 384), train_sequences=0, test_sequences=2)
    proc = run_tool(['tools/analysis_tools/compare_references.py', '--data-root', tree])
    mean = re.search(r'\| mean of 2 \| ([0-9.]+) dB \| ([0-9.]+) dB \|', proc.stdout)
    assert mean, proc.stdout
    own, lr_jpg = float(mean.group(1)), float(mean.group(2))
    # the LR camera JPG is the closer to Y' (same camera processing, no demosaicking error)
    assert 20 < own < lr_jpg < 60

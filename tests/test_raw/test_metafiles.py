"""tform.txt / wb.txt readers and writers: round trips, the SR-RAW layout, and clear errors."""
import numpy as np
import pytest

from mmzoom.raw.metafiles import read_tform, read_wb, write_tform, write_wb


def test_tform_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    tforms = {1: np.eye(2, 3)}
    for k in range(2, 8):
        tforms[k] = np.eye(2, 3) + rng.normal(0, [[1e-3, 1e-3, 3], [1e-3, 1e-3, 3]])
    path = tmp_path / 'tform.txt'
    write_tform(path, tforms, corner=(12, 3990, 20, 5980))
    back = read_tform(path)
    assert back.reference == 1 and back.corner == (12, 3990, 20, 5980)
    assert sorted(back.tforms) == list(range(1, 8))
    for k, t in tforms.items():
        np.testing.assert_allclose(back.get(k), t, atol=5e-7)  # 6 decimals written
    text = path.read_text().splitlines()
    assert text[:3] == ['00001-00001:', '1.000000 0.000000 0.000000', '0.000000 1.000000 0.000000']
    assert text[-2:] == ['corner:', '00012 03990 00020 05980']


def test_tform_reads_srraw_release_layout(tmp_path):
    # 4 decimals, negative numbers, no newline after the corner line: as the SR-RAW files are.
    path = tmp_path / 'tform.txt'
    path.write_text('00001-00001:\n1.0000 0.0000 0.0000\n0.0000 1.0000 0.0000\n'
                    '00001-00002:\n0.9998 -0.0012 -3.2500\n0.0011 1.0003 12.0625\n'
                    'corner:\n00007 05290 00015 07937')
    tf = read_tform(path)
    np.testing.assert_array_equal(tf.get(2), [[0.9998, -0.0012, -3.25], [0.0011, 1.0003, 12.0625]])
    assert tf.corner == (7, 5290, 15, 7937)
    with pytest.raises(KeyError, match='00001-00005'):
        tf.get(5)


def test_tform_reader_is_lenient_about_layout(tmp_path):
    path = tmp_path / 'tform.txt'
    path.write_text('00001-00003: [[1, 0, 2.5],\n [0, 1, -1.5]]\n\ncorner: 1 2 3 4\n')
    tf = read_tform(path)
    np.testing.assert_array_equal(tf.get(3), [[1, 0, 2.5], [0, 1, -1.5]])
    assert tf.corner == (1, 2, 3, 4)


@pytest.mark.parametrize('text, message', [
    ('00001-00002:\n1 0 0\n0 1\n', 'needs 6 numbers, found 5'),
    ('00001-00002:\n1 0 0\n0 1\n00001-00003:\n1 0 0\n0 1 0\n', 'line 1: key 00001-00002:'),
    ('00001-00002:\n1 0 x\n0 1 0\n', "line 2: .*found 'x'"),
    ('hello\n', "line 1: unexpected 'hello'"),
    ('', 'no transforms found'),
    ('00001-00002:\n1 0 0\n0 1 0\n00002-00003:\n1 0 0\n0 1 0\n', 'several reference'),
    ('00001-00002:\n1 0 0\n0 1 0\ncorner:\n1 2 3\n', 'corner: needs 4 numbers'),
])
def test_tform_errors_name_file_and_line(tmp_path, text, message):
    path = tmp_path / 'tform.txt'
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        read_tform(path)
    assert str(path) in str(info.value)


def test_write_tform_validates(tmp_path):
    with pytest.raises(ValueError, match='2x3'):
        write_tform(tmp_path / 't.txt', {2: np.eye(2)})
    with pytest.raises(ValueError, match='corner'):
        write_tform(tmp_path / 't.txt', {2: np.eye(2, 3)}, corner=(1, 2))
    write_tform(tmp_path / 't.txt', {2: np.eye(3)})  # a 3x3 affine is accepted
    np.testing.assert_array_equal(read_tform(tmp_path / 't.txt').get(2), np.eye(2, 3))


def test_wb_round_trip(tmp_path):
    gains = {1: (2.013147, 1.0, 1.0, 1.602), 2: (1.9, 0.99, 0.99, 1.7), 7: (2.2, 1.0, 1.0, 1.45)}
    path = tmp_path / 'wb.txt'
    write_wb(path, gains)
    back = read_wb(path)
    assert sorted(back) == [1, 2, 7]
    for k, g in gains.items():
        assert back[k] == pytest.approx(g, abs=5e-7)  # 6 decimals written
    assert path.read_text().splitlines()[:2] == ['00001:', '2.013147 1.000000 1.000000 1.602000']
    write_wb(path, {3: (2.0, 1.0, 1.5)})  # R, G, B: G is written twice
    assert read_wb(path) == {3: (2.0, 1.0, 1.0, 1.5)}


def test_wb_reader_accepts_variants(tmp_path):
    path = tmp_path / 'wb.txt'
    # One-line entries, a key with a path prefix (how the SR-RAW script keyed files), full floats.
    path.write_text('00001: 2.0 1.0 1.0 1.5\n/data/train/00012/00002:\n'
                    '2.0131473541259766 1.0 1.0 1.6020184755325317\n')
    gains = read_wb(path)
    assert gains[1] == (2.0, 1.0, 1.0, 1.5)
    assert gains[2] == pytest.approx((2.0131473541259766, 1.0, 1.0, 1.6020184755325317))


@pytest.mark.parametrize('text, message', [
    ('00001:\n2 1 1\n', 'needs 4 numbers, found 3'),
    ('00001:\n2 1 1 0\n', 'must be positive'),
    ('00001:\n2 1 1 1\n00001:\n2 1 1 1\n', 'duplicate key'),
    ('gains 2 1 1 1\n', "unexpected 'gains'"),
    ('\n', 'no white-balance entries'),
])
def test_wb_errors_name_file(tmp_path, text, message):
    path = tmp_path / 'wb.txt'
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        read_wb(path)
    assert str(path) in str(info.value)

"""Bayer packing and CFA-pattern algebra, checked against real index arithmetic on mosaics."""
import numpy as np
import pytest

from mmzoom.raw.bayer import (BAYER_PATTERNS, cfa_offset, dng_cfa_codes, pack_bayer,
                              packed_channel_colours, pattern_after_crop, pattern_after_flip,
                              pattern_after_transpose, pattern_from_rawpy, tile_cfa,
                              unpack_bayer)


def colour_mosaic(pattern: str, h: int, w: int) -> np.ndarray:
    """(h, w) array of colour letters of a mosaic with the given CFA pattern."""
    return tile_cfa(list(pattern), (h, w), dtype='<U1')


def pattern_of(mosaic: np.ndarray) -> str:
    return ''.join(mosaic[:2, :2].ravel())


def test_pack_bayer_exact_indices():
    mosaic = np.arange(4 * 6).reshape(4, 6)
    packed = pack_bayer(mosaic)
    assert packed.shape == (2, 3, 4) and packed.dtype == mosaic.dtype
    # Channel order [0::2, 0::2], [0::2, 1::2], [1::2, 1::2], [1::2, 0::2].
    np.testing.assert_array_equal(packed[..., 0], [[0, 2, 4], [12, 14, 16]])
    np.testing.assert_array_equal(packed[..., 1], [[1, 3, 5], [13, 15, 17]])
    np.testing.assert_array_equal(packed[..., 2], [[7, 9, 11], [19, 21, 23]])
    np.testing.assert_array_equal(packed[..., 3], [[6, 8, 10], [18, 20, 22]])
    np.testing.assert_array_equal(packed[1, 2], [16, 17, 23, 22])


def test_pack_unpack_round_trip():
    rng = np.random.default_rng(0)
    mosaic = rng.random((8, 10)).astype(np.float32)
    np.testing.assert_array_equal(unpack_bayer(pack_bayer(mosaic)), mosaic)
    packed = rng.integers(0, 2 ** 14, (3, 5, 4)).astype(np.uint16)
    np.testing.assert_array_equal(pack_bayer(unpack_bayer(packed)), packed)
    assert unpack_bayer(packed).dtype == np.uint16


@pytest.mark.parametrize('shape', [(5, 6), (6, 5), (1, 1)])
def test_pack_bayer_rejects_odd_sizes(shape):
    with pytest.raises(ValueError, match='even-sized mosaic'):
        pack_bayer(np.zeros(shape))


@pytest.mark.parametrize('shape', [(4, ), (4, 4, 1), (2, 4, 4)])
def test_pack_bayer_rejects_wrong_ndim(shape):
    with pytest.raises(ValueError, match='2-D'):
        pack_bayer(np.zeros(shape))


@pytest.mark.parametrize('shape', [(4, 4), (4, 4, 3), (2, 2, 4, 1)])
def test_unpack_bayer_rejects_wrong_shape(shape):
    with pytest.raises(ValueError, match=r'\(h, w, 4\)'):
        unpack_bayer(np.zeros(shape))


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
def test_packed_channel_colours_match_packing(pattern):
    packed = pack_bayer(colour_mosaic(pattern, 4, 4))
    assert packed_channel_colours(pattern) == ''.join(packed[0, 0])
    assert (packed == packed[:1, :1]).all()  # each channel holds one colour only


def test_pattern_from_rawpy():
    # LibRaw numbers colours by color_desc 'RGBG' (3 = second green).
    assert pattern_from_rawpy([[0, 1], [3, 2]], b'RGBG') == 'RGGB'
    assert pattern_from_rawpy(np.array([[2, 3], [1, 0]]), 'RGBG') == 'BGGR'
    assert pattern_from_rawpy([[1, 0], [2, 3]], b'RGBG') == 'GRBG'
    assert pattern_from_rawpy([[3, 2], [0, 1]], b'RGBG') == 'GBRG'
    with pytest.raises(ValueError, match='2x2'):
        pattern_from_rawpy(np.zeros((6, 6), int), b'RGBG')
    with pytest.raises(ValueError, match='unsupported CFA'):
        pattern_from_rawpy([[0, 1], [2, 3]], b'CYGM')


def test_dng_cfa_codes():
    assert dng_cfa_codes('RGGB') == (0, 1, 1, 2)
    assert dng_cfa_codes('GBRG') == (1, 2, 0, 1)
    with pytest.raises(ValueError, match='unknown Bayer pattern'):
        dng_cfa_codes('RGBW')


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
@pytest.mark.parametrize('target', BAYER_PATTERNS)
def test_cfa_offset_turns_mosaic_into_target(pattern, target):
    dy, dx = cfa_offset(pattern, target)
    assert dy in (0, 1) and dx in (0, 1)
    assert pattern_of(colour_mosaic(pattern, 6, 8)[dy:, dx:]) == target


def test_cfa_offset_to_rggb_values():
    assert cfa_offset('RGGB') == (0, 0)
    assert cfa_offset('GRBG') == (0, 1)
    assert cfa_offset('GBRG') == (1, 0)
    assert cfa_offset('BGGR') == (1, 1)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
@pytest.mark.parametrize('dy', [0, 1, 2, 3])
@pytest.mark.parametrize('dx', [0, 1, 2, 5])
def test_pattern_after_crop_matches_mosaic(pattern, dy, dx):
    cropped = colour_mosaic(pattern, 10, 12)[dy:, dx:]
    assert pattern_after_crop(pattern, dy, dx) == pattern_of(cropped)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
@pytest.mark.parametrize('axis', [0, 1])
@pytest.mark.parametrize('shape', [(6, 8), (7, 8), (6, 9), (7, 9)])
def test_pattern_after_flip_matches_mosaic(pattern, axis, shape):
    flipped = np.flip(colour_mosaic(pattern, *shape), axis=axis)
    assert pattern_after_flip(pattern, axis, shape[axis]) == pattern_of(flipped)


def test_pattern_after_flip_examples():
    assert pattern_after_flip('RGGB', 0, 100) == 'GBRG'  # vertical flip, even height
    assert pattern_after_flip('RGGB', 1, 100) == 'GRBG'  # horizontal flip, even width
    assert pattern_after_flip('RGGB', 0, 101) == 'RGGB'  # odd length: phase kept
    with pytest.raises(ValueError, match='axis'):
        pattern_after_flip('RGGB', 2, 4)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
def test_pattern_after_transpose_matches_mosaic(pattern):
    assert pattern_after_transpose(pattern) == pattern_of(colour_mosaic(pattern, 6, 8).T)


@pytest.mark.parametrize('pattern', BAYER_PATTERNS)
def test_flip_then_one_pixel_crop_restores_pattern(pattern):
    """The CFA-safe flip recipe: flip, then crop one pixel where the phase changed."""
    mosaic = colour_mosaic(pattern, 8, 10)
    flipped = np.flip(mosaic, axis=1)
    dy, dx = cfa_offset(pattern_after_flip(pattern, 1, 10), pattern)
    assert pattern_of(flipped[dy:, dx:]) == pattern


def test_tile_cfa():
    np.testing.assert_array_equal(tile_cfa([1, 2, 3, 4], (3, 5)),
                                  [[1, 2, 1, 2, 1], [3, 4, 3, 4, 3], [1, 2, 1, 2, 1]])

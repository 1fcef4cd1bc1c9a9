"""Camera-RAW utilities for the SR-RAW pipeline, free of torch.

Bayer packing and CFA-pattern algebra (:mod:`.bayer`), RAW decoding with levels from the file and
DNG writing (:mod:`.rawfile`), EXIF focal lengths (:mod:`.exif`), field-of-view crops (:mod:`.fov`),
``tform.txt`` / ``wb.txt`` files (:mod:`.metafiles`), pixel geometry of frames and warps
(:mod:`.geometry`), ECC alignment (:mod:`.align`), white-balance
gains (:mod:`.white_balance`), the SR-RAW folder tree and its checker (:mod:`.srraw_tree`) and a
synthetic SR-RAW-shaped dataset with known ground truth (:mod:`.synthetic`: the small demo tree and
the SR-RAW-like benchmark of projects/synthetic_zoom).
"""
from .align import (AlignmentError, SequenceAlignment, align_sequence, common_region,
                    compute_sequence_tform, ecc_affine, rescale_affine, warp_to_reference)
from .bayer import (BAYER_PATTERNS, PACK_ORDER, cfa_offset, dng_cfa_codes, pack_bayer,
                    packed_channel_colours, pattern_after_crop, pattern_after_flip,
                    pattern_after_transpose, pattern_from_rawpy, tile_cfa, unpack_bayer)
from .exif import FOCAL_LENGTH_TAG, FocalLengthError, read_focal_length, write_jpeg
from .fov import crop_fov, fov_crop_box, fov_ratio
from .metafiles import TformFile, read_tform, read_wb, write_tform, write_wb
from .rawfile import (SONY_ARW_BLACK_LEVEL, SONY_ARW_WHITE_LEVEL, RawImage, RawReadError,
                      diagnose_raw_file, image_kind, normalise_counts, probe_raw, read_raw,
                      write_dng)
from .srraw_tree import (Problem, check_dataset, detect_raw_ext, find_sequences,
                         map_with_progress, resolve_raw_ext, shot_paths)
from .synthetic import (ShotPose, load_synthetic_truth, load_truth, make_demo_srraw,
                        make_synthetic_zoom)
from .white_balance import (WB_GAMMA, apply_white_balance, compute_sequence_wb, compute_wb_gains,
                            remove_white_balance, wb_channel_factors)

__all__ = [
    'AlignmentError', 'SequenceAlignment', 'align_sequence', 'common_region',
    'compute_sequence_tform', 'ecc_affine', 'rescale_affine', 'warp_to_reference', 'BAYER_PATTERNS',
    'PACK_ORDER', 'cfa_offset', 'dng_cfa_codes', 'pack_bayer', 'packed_channel_colours',
    'pattern_after_crop', 'pattern_after_flip', 'pattern_after_transpose', 'pattern_from_rawpy',
    'tile_cfa', 'unpack_bayer', 'FOCAL_LENGTH_TAG', 'FocalLengthError', 'read_focal_length',
    'write_jpeg', 'crop_fov', 'fov_crop_box', 'fov_ratio', 'TformFile', 'read_tform', 'read_wb',
    'write_tform', 'write_wb', 'SONY_ARW_BLACK_LEVEL', 'SONY_ARW_WHITE_LEVEL', 'RawImage',
    'RawReadError', 'diagnose_raw_file', 'image_kind', 'normalise_counts', 'probe_raw',
    'read_raw', 'write_dng', 'Problem', 'check_dataset', 'WB_GAMMA', 'apply_white_balance',
    'remove_white_balance', 'wb_channel_factors',
    'detect_raw_ext', 'find_sequences', 'map_with_progress', 'resolve_raw_ext', 'shot_paths',
    'load_truth', 'make_demo_srraw', 'compute_sequence_wb', 'compute_wb_gains', 'ShotPose',
    'load_synthetic_truth', 'make_synthetic_zoom'
]

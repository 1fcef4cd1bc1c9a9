"""SR-RAW pipeline steps, registered in MMagic's ``TRANSFORMS``.

A training sample goes LoadRawFromFile (or LoadSRRawJpg for RGB input) -> LoadSRRawJpg (HR) ->
SRRawFovAlign -> CfaSafeFlip -> PairedRawCrop -> RemoveWhiteBalance -> MakeReference ->
MMagic's PackInputs; see configs/_base_/datasets/srraw_x4_raw.py.
"""
from .alignment import SRRawFovAlign, fov_frame_to_jpg, warp_region
from .aug_shape import CfaSafeFlip
from .crop import PairedRawCrop, PatchSizeError, grid_factor, truncated_normal_position
from .loading import LoadRawFromFile, LoadSRRawJpg
from .reference import LRJpgReference, MakeReference
from .white_balance import ComputeWbGains, RemoveWhiteBalance

__all__ = [
    'SRRawFovAlign', 'fov_frame_to_jpg', 'warp_region', 'CfaSafeFlip', 'PairedRawCrop',
    'PatchSizeError', 'grid_factor', 'truncated_normal_position', 'LoadRawFromFile', 'LoadSRRawJpg',
    'MakeReference', 'RemoveWhiteBalance', 'LRJpgReference', 'ComputeWbGains'
]

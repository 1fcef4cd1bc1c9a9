"""Whole-image inference in bounded memory: tile plans, the exact SDAN tiler, tiling of local SR
networks and streamed output writers (see ../shared/DESIGN.md, ``apis/``)."""
from .local_tiling import local_tiled_forward, local_tiles
from .sdan_tiling import (LocalReference, SDANTiler, TensorReference, assemble,
                          sdan_tiled_forward)
from .tiles import Region, TileError, TileSpec, parse_tile_cfg, plan_tiles

__all__ = [
    'LocalReference', 'Region', 'SDANTiler', 'TensorReference', 'TileError', 'TileSpec',
    'assemble', 'local_tiled_forward', 'local_tiles', 'parse_tile_cfg', 'plan_tiles',
    'sdan_tiled_forward'
]

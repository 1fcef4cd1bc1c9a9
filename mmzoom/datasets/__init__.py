"""SR-RAW data for MMagic: the pair index (:class:`SRRawDataset`) and the pipeline steps
(:mod:`.transforms`), registered in MMagic's ``DATASETS`` and ``TRANSFORMS``, and the prepared
pair store that trains from aligned pairs decoded once (:mod:`.prepared_store`).

Channel order: every image stays RGB from file to metric, and no ``<key>_channel_order`` is set,
so MMagic's ``DataPreprocessor`` (with ``output_channel_order=None``) converts nothing, in RAW
and in RGB input mode alike. The SR-RAW metrics of :mod:`mmzoom.evaluation` are told
``channel_order='RGB'`` accordingly.
"""
from .prepared_store import LoadPreparedPair, PreparedStoreError, StoredPlane
from .srraw_dataset import (DEFAULT_PAIRS, KNOWN_BAD_SHOTS, SRRawDataset, SRRawDatasetError,
                            parse_exclude)
from .transforms import *  # noqa: F401,F403

__all__ = ['DEFAULT_PAIRS', 'KNOWN_BAD_SHOTS', 'SRRawDataset', 'SRRawDatasetError',
           'parse_exclude', 'LoadPreparedPair', 'PreparedStoreError', 'StoredPlane']

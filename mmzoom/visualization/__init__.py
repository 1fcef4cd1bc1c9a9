"""Pictures of what SDAN's alignment does (used by tools/analysis_tools/visualize_alignment.py and
:class:`mmzoom.engine.hooks.AlignmentVisHook`)."""
from .alignment_panel import PANEL_COLUMNS, alignment_panel, centre_window

__all__ = ['PANEL_COLUMNS', 'alignment_panel', 'centre_window']

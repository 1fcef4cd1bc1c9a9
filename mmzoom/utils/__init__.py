from .checkpoint import (CheckpointMismatch, explain_load_error, guard_checkpoint_loading,
                         is_weights_only_error, register_safe_globals)
from .compat import patch_numpy_for_mmagic

__all__ = ['patch_numpy_for_mmagic', 'register_safe_globals', 'explain_load_error',
           'is_weights_only_error', 'CheckpointMismatch', 'guard_checkpoint_loading']

# Runtime shared by every mmzoom config: MMagic's, plus the plugin import and a checkpoint hook
# that writes inside work_dir (MMagic's base sends checkpoints to ./work_dirs/<basename> relative
# to the current directory instead).
_base_ = 'mmagic::_base_/default_runtime.py'

custom_imports = dict(imports=['mmzoom'], allow_failed_imports=False)

default_hooks = dict(checkpoint=dict(out_dir=None))

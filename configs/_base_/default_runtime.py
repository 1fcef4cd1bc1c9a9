# Runtime shared by every mmzoom config: MMagic's, plus the plugin import and a checkpoint hook
# that writes inside work_dir (MMagic's base sends checkpoints to ./work_dirs/<basename> relative
# to the current directory instead).
_base_ = 'mmagic::_base_/default_runtime.py'

custom_imports = dict(imports=['mmzoom'], allow_failed_imports=False)

# MMagic's base saves the best checkpoint by a metric named exactly 'PSNR', which any metric prefix
# ('Set5/PSNR') or protocol name ('SRRAW-val-centre1024/PSNR_rgb_wb_b32') breaks after the first
# validation: 'auto' follows the first validation metric, whatever its name.
default_hooks = dict(checkpoint=dict(out_dir=None, save_best='auto'))

"""Metrics MMagic lacks, registered in MMagic's ``METRICS``: LPIPS, and PSNR / SSIM / LPIPS
under the SR-RAW evaluation protocol (:mod:`.metrics.srraw_metrics`)."""
from .metrics import *  # noqa: F401,F403

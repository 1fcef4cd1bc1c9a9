"""Single-image SR editor with the benchmark test protocol: x8 self-ensemble and 8-bit output."""
from typing import List, Optional

import torch

from mmagic.models.base_models import BaseEditModel
from mmagic.models.editors.esrgan import ESRGAN
from mmagic.models.editors.srgan import SRGAN
from mmagic.models.archs import SpatialTemporalEnsemble
from mmagic.registry import MODELS
from mmagic.structures import DataSample

from ...apis.local_tiling import local_tiled_forward
from ...apis.tiles import TileSpec, parse_tile_cfg
from ...utils.checkpoint import guard_checkpoint_loading

_TEST_KEYS = ('self_ensemble', 'round_output')

#: Default tiles: 1024 px of output per side (512 input px at x2, 341 at x3, 256 at x4) with 32
#: input px of context. The benchmark sets (Set5 ... Urban100: at most 512 x 384 input px at x2,
#: 256 x 192 at x4) run whole; larger inputs are tiled: exact for local networks whose receptive
#: field the overlap covers, approximate for RNAN (mmzoom.apis.local_tiling,
#: configs/rnan/README.md).
DEFAULT_TILE_OUTPUT = 1024
DEFAULT_OVERLAP = 32


class SRTestProtocol:
    """Mixin for an MMagic SR editor: the test-time switches of :class:`SISREditModel`
    (``self_ensemble``, ``tile``, ``round_output``) in its ``forward_inference``, and the
    checkpoint guard. The editor calls :meth:`_init_test_protocol` after its own ``__init__``;
    it adds no parameters or buffers, so checkpoint keys stay the editor's."""

    def _init_test_protocol(self, test_cfg: Optional[dict], allow_partial_load: bool) -> None:
        self.allow_partial_load = allow_partial_load
        guard_checkpoint_loading(self)
        cfg = dict(test_cfg or {})
        for key in _TEST_KEYS:
            if key in cfg and not isinstance(cfg[key], bool):
                raise TypeError(f'test_cfg.{key} must be True or False, got {cfg[key]!r}')
        self.self_ensemble = cfg.get('self_ensemble', False)
        self.round_output = cfg.get('round_output', True)
        scale = getattr(self.generator, 'upscale_factor', None)
        default = TileSpec(DEFAULT_TILE_OUTPUT // (scale if isinstance(scale, int) else 4),
                           DEFAULT_OVERLAP)
        self.tile = parse_tile_cfg(cfg.get('tile', 'auto'), default, 'model.test_cfg.tile')
        if self.tile is not None and self.tile.overlap is None:
            self.tile = TileSpec(self.tile.size, DEFAULT_OVERLAP)
        # No parameters and no buffers: the state_dict keys stay BaseEditModel's.
        self.ensemble = SpatialTemporalEnsemble(is_temporal_ensemble=False)

    def forward_inference(self,
                          inputs: torch.Tensor,
                          data_samples: Optional[List[DataSample]] = None,
                          **kwargs) -> DataSample:
        """Predict (N, C, sH, sW) images in 0..255, self-ensembled and rounded per ``test_cfg``."""
        def run(x: torch.Tensor) -> torch.Tensor:
            if self.tile is None or max(x.shape[-2:]) <= self.tile.size:
                return self.forward_tensor(x, data_samples, **kwargs)
            return local_tiled_forward(lambda t: self.forward_tensor(t, data_samples, **kwargs),
                                       x, self.tile.size, self.tile.overlap)

        with torch.no_grad():
            feats = self.ensembled(run, inputs)
        feats = self.data_preprocessor.destruct(feats, data_samples)  # de-normalise, clamp
        if self.round_output:
            feats = feats.round()
        return DataSample(pred_img=feats.cpu())


    def ensembled(self, fn, inputs: torch.Tensor) -> torch.Tensor:
        """``fn(inputs)``, averaged over the 8 flips/transposes when ``self_ensemble`` is on."""
        return self.ensemble(inputs, fn) if self.self_ensemble else fn(inputs)


@MODELS.register_module()
class SISREditModel(SRTestProtocol, BaseEditModel):
    """MMagic's ``BaseEditModel`` plus two test-time switches of the SR benchmark protocol.

    Training is exactly ``BaseEditModel``'s, and the module tree is the same (``generator``,
    ``pixel_loss``, ``data_preprocessor``), so its checkpoints load into this class and back
    without any key change. Only ``mode='predict'`` (validation, ``tools/test.py``,
    MMagic's inferencers) changes, as set in ``test_cfg``:

    - ``self_ensemble`` (bool, default False): run the generator on the 8 flips/transposes of
      the input (the dihedral group of the square), undo each transform on its output and
      average ("self-ensemble" of EDSR, Lim et al. 2017; the "+" models, e.g. RNAN+ in Table 1
      of Ai et al., ICIP 2020). Uses MMagic's ``SpatialTemporalEnsemble``. It costs 8 forward
      passes and assumes a fully convolutional generator that accepts an input of size
      (W, H) as well as (H, W).
    - ``tile`` (default ``'auto'``: ``DEFAULT_TILE_OUTPUT // scale`` px, ``DEFAULT_OVERLAP``):
      ``dict(size=S, overlap=O)`` computes
      inputs larger than S x S in S x S tiles, each from O more pixels of context on every side
      (:mod:`mmzoom.apis.local_tiling`: exact for local networks, approximate for RNAN's global
      context blocks); ``None`` runs whole images.
    - ``round_output`` (bool, default True): round the de-normalised, clamped prediction to
      integers, i.e. evaluate the 8-bit image a user would save. MMagic's PSNR/SSIM compute
      on whatever float they are given, while the published SR tables (MATLAB protocol)
      quantise the output first; without rounding PSNR differs by a few hundredths of a dB.

    Any other ``test_cfg`` keys are ignored, as ``BaseEditModel`` does (MMagic's own configs
    carry e.g. ``metrics`` and ``crop_border`` there), so a config of any ``BaseEditModel``
    SR model switches to this class by changing ``model.type`` only.

    Args:
        generator (dict): Config of the SR network, (N, C, H, W) -> (N, C, sH, sW).
        pixel_loss (dict): Config of the training loss.
        train_cfg (dict, optional): Unused, as in ``BaseEditModel``. Default: None.
        test_cfg (dict, optional): ``self_ensemble`` and ``round_output`` as above.
            Default: None (no ensemble, rounded output).
        init_cfg (dict, optional): Initialisation config. Default: None.
        data_preprocessor (dict, optional): Config of the data preprocessor. Default: None.
        allow_partial_load (bool): load a checkpoint whose keys or shapes do not all match
            (the matching keys only), e.g. x2 weights into a x4 model. Default: False: such a
            checkpoint is refused in one line wherever it is loaded (``load_from``,
            ``tools/test.py``, MMagic's inferencers; :func:`mmzoom.utils.guard_checkpoint_loading`).

    Shapes (predict mode):
        inputs: (N, C, H, W), normalised as the data preprocessor does ->
        ``DataSample.output.pred_img``: (N, C, sH, sW) in 0..255, in the input's channel order
        (BGR in MMagic's benchmark pipelines, RGB in mmzoom's SR-RAW ones).
    """

    def __init__(self,
                 generator: dict,
                 pixel_loss: dict,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 allow_partial_load: bool = False) -> None:
        super().__init__(generator, pixel_loss, train_cfg=train_cfg, test_cfg=test_cfg,
                         init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        self._init_test_protocol(test_cfg, allow_partial_load)


@MODELS.register_module()
class TiledSRGAN(SRTestProtocol, SRGAN):
    """MMagic's ``SRGAN`` (training unchanged: generator, discriminator, pixel/perceptual/GAN
    losses; the same checkpoint keys) with :class:`SISREditModel`'s test path, so that full
    SR-RAW frames are zoomed in tiles (MMagic's editor runs them whole: one 64-channel feature
    map of a 4x SR-RAW test output alone is about 9 GB). ``test_cfg`` and ``allow_partial_load``
    as :class:`SISREditModel`; other arguments as MMagic's ``SRGAN``."""

    def __init__(self, *args, test_cfg: Optional[dict] = None, allow_partial_load: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, test_cfg=test_cfg, **kwargs)
        self._init_test_protocol(test_cfg, allow_partial_load)


@MODELS.register_module()
class TiledESRGAN(SRTestProtocol, ESRGAN):
    """MMagic's ``ESRGAN`` (relativistic GAN training unchanged) with :class:`SISREditModel`'s
    tiled test path, as :class:`TiledSRGAN`."""

    def __init__(self, *args, test_cfg: Optional[dict] = None, allow_partial_load: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, test_cfg=test_cfg, **kwargs)
        self._init_test_protocol(test_cfg, allow_partial_load)

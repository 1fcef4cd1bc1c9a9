"""SDAN editor: the two-input training and inference logic of Mei et al., ICME 2021 (Sec. 3)."""
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from mmagic.models.base_models import BaseEditModel
from mmagic.registry import MODELS
from mmagic.structures import DataSample

from ...apis.sdan_tiling import (LocalReference, ReferenceFn, SDANTiler, TensorReference,
                                 sdan_tiled_forward)
from ...apis.tiles import TileSpec, parse_tile_cfg
from ...raw.white_balance import wb_channel_factors
from ...utils.checkpoint import guard_checkpoint_loading
from ..backbones.sdan_net import SDANNet, SDANOutput
from ..layers.camera_render import CameraRender
from ..layers.demosaic import BilinearDemosaic

REF_MODES = ('self', 'lr_jpg', 'oracle')
SELF_REFS = ('gamma', 'render')
#: Metainfo a rendered self reference reads: the RAW file's colour (LoadRawFromFile) and the
#: shot's white balance (wb.txt, or ComputeWbGains for a bare RAW file).
RENDER_KEYS = ('raw_rgb_cam', 'raw_camera_wb', 'img_wb_gains')


class ReferenceUnavailable(ValueError):
    """The data sample lacks the reference the model's ``ref_mode`` (or training) needs; the
    message says which and how to get it."""


#: Input pixels of a tile side unless ``test_cfg.tile`` says otherwise: 256 at 4x, 128 at 8x
#: (the same 1024 px of output), about 1 GB of working memory for the full SDAN on CPU whatever
#: the image (tools/analysis_tools/benchmark_inference.py), at 0.92-0.97x the whole-image
#: speed; results are the whole-image run's (mmzoom.apis.sdan_tiling).
DEFAULT_TILE_OUTPUT = 1024


@MODELS.register_module()
class SDAN(BaseEditModel):
    """Squared deformable alignment network as a trainable MMagic model (Sec. 3.1 and 3.3).

    Training feeds {X, Y'} (Y' = ground truth downsampled to the input grid, ``ref_img`` of the
    data sample) and minimises Eq. (6): ``pixel_loss(X~, Y, M) + align_loss(X', Y', M')``.

    Inference has no ground truth. ``ref_mode`` (``test_cfg``) chooses the reference:

    - ``'self'`` (default, the paper's {X, X}): the reference is made from the input itself; for
      an RGB input it is the input. For a RAW mosaic ``self_ref`` says how. Y' is a camera JPG
      (colour matrix, sRGB-like curve) with its white balance removed, the mosaic is linear
      camera RGB: ``'render'`` renders the mosaic as LibRaw does with the file's own colour
      matrix and as-shot white balance, then removes the white balance as from Y'
      (:class:`~mmzoom.models.layers.camera_render.CameraRender`; it needs ``RENDER_KEYS`` in
      the metainfo, which the SDAN configs' test and inference pipelines pack); ``'gamma'``
      is the bilinear demosaic raised to ``1 / ref_gamma``, no colour processing, the
      mosaic alone. The configs choose ``'render'``: it puts the reference through the same
      kind of processing as Y' (configs/sdan/README.md has the comparison); the class default
      stays ``'gamma'`` because it needs nothing beyond the tensor.
    - ``'lr_jpg'``: the LR shot's own camera JPG on the mosaic grid, white balance removed
      (``lr_ref`` of the data sample, :class:`~mmzoom.datasets.transforms.LRJpgReference`), as
      the public SDAN validation does: the same camera processing as Y', no ground truth. Only
      where a JPG exists beside the RAW (SR-RAW evaluation); for RGB input it is the input, as
      'self'.
    - ``'oracle'``: ``ref_img`` from the pipeline, i.e. made from the ground truth, as the public
      SDAN test code does. Such numbers use the answer to align; report them as oracle.

    ``pred_img`` is RGB, as every image of the SR-RAW pipeline, or BGR when the sample's metainfo
    has ``pred_channel_order='BGR'`` (the configs' ``inference_pipeline`` sets it, because
    MMagic's inferencers write ``pred_img`` as BGR). Predictions carry, besides ``pred_img``:
    ``pred_aligned_lr`` (X', 0..255 like pred_img),
    ``pred_mask_lr``/``pred_mask_hr`` (0/1) and ``pred_offset`` ((dy, dx) at the input grid,
    (N, 2, h, w), or 18 channels for per-point DCN) for visualisation and analysis.

    Args:
        generator (dict): An ``SDANNet`` config: ``forward(x, ref)`` returning ``SDANOutput``.
        pixel_loss (dict): Loss of the zoomed output against Y, called ``(pred, gt, mask_hr)``.
        align_loss (dict, optional): Loss of X' against Y', called ``(x', ref, mask_lr)``; None
            trains without the aligned-LR head's supervision. Default: None.
        train_cfg (dict, optional): Unused. Default: None.
        test_cfg (dict, optional): ``ref_mode`` ('self' | 'lr_jpg' | 'oracle', default 'self'),
            ``self_ref`` ('gamma' | 'render', default 'gamma'), ``ref_gamma`` (float, default
            2.2, for 'gamma') and ``tile``: ``dict(size=S)`` runs inference in
            tiles of S x S input pixels with the whole-image result (exact, see
            :mod:`mmzoom.apis.sdan_tiling`), ``None`` runs whole images; default ``'auto'`` =
            ``DEFAULT_TILE_OUTPUT // upscale_factor`` px for inputs larger than one tile.
            Default: None.
        init_cfg (dict, optional): Initialisation config. Default: None.
        data_preprocessor (dict, optional): Must normalise ``ref_img`` too
            (``data_keys=['gt_img', 'ref_img']``). Default: None.
        allow_partial_load (bool): load a checkpoint whose keys or shapes do not all match
            (the matching keys only), e.g. x2 weights into a x4 model. Default: False: such a
            checkpoint is refused in one line wherever it is loaded (``load_from``,
            ``tools/test.py``, MMagic's inferencers; :func:`mmzoom.utils.guard_checkpoint_loading`).

    Shapes:
        inputs: (N, 1, h, w) RAW mosaic (canonical RGGB) or (N, 3, h, w) RGB;
        ref_img: (N, 3, h, w); gt_img: (N, 3, s*h, s*w).
    """

    def __init__(self,
                 generator: dict,
                 pixel_loss: dict,
                 align_loss: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 allow_partial_load: bool = False) -> None:
        super().__init__(generator=generator, pixel_loss=pixel_loss, train_cfg=train_cfg,
                         test_cfg=test_cfg, init_cfg=init_cfg,
                         data_preprocessor=data_preprocessor)
        self.allow_partial_load = allow_partial_load
        guard_checkpoint_loading(self)
        self.align_loss = MODELS.build(align_loss) if align_loss else None
        test_cfg = test_cfg or {}
        self.ref_mode = test_cfg.get('ref_mode', 'self')
        self.ref_gamma = float(test_cfg.get('ref_gamma', 2.2))
        self.self_ref = test_cfg.get('self_ref', 'gamma')
        if self.ref_mode not in REF_MODES:
            raise ValueError(f'test_cfg.ref_mode must be one of {REF_MODES}, got {self.ref_mode!r}')
        if self.self_ref not in SELF_REFS:
            raise ValueError(f'test_cfg.self_ref must be one of {SELF_REFS}, got '
                             f'{self.self_ref!r}')
        if self.ref_gamma <= 0:
            raise ValueError(f'test_cfg.ref_gamma must be > 0, got {self.ref_gamma}')
        default = TileSpec(DEFAULT_TILE_OUTPUT // self.generator.upscale_factor) \
            if isinstance(self.generator, SDANNet) else None
        self.tile = parse_tile_cfg(test_cfg.get('tile', 'auto'), default, 'model.test_cfg.tile',
                                   allow_overlap=False)
        if self.tile is not None:
            if not isinstance(self.generator, SDANNet):
                raise ValueError('model.test_cfg.tile needs an SDANNet generator (its tiling is '
                                 f'exact by construction); got {type(self.generator).__name__}: '
                                 'set model.test_cfg.tile=None')
            SDANTiler(self.generator, self.tile.size)  # a size that does not fit fails here
        self.demosaic = BilinearDemosaic()
        self.render = CameraRender()

    def render_params(self, data_samples: Optional[DataSample], n: int) -> Tuple[Tensor, ...]:
        """``(rgb_cam (n, 3, 3), camera_wb (n, 3), wb_factors (n, 3))`` of a batch, for
        ``self_ref='render'``, from the data samples' metainfo (``RENDER_KEYS``)."""
        meta = {} if data_samples is None else data_samples.metainfo
        missing = [k for k in RENDER_KEYS if k not in meta]
        if missing:
            raise ReferenceUnavailable(
                f"self_ref='render' renders the mosaic with the RAW file's colour and white "
                f'balance, but the data samples lack {", ".join(missing)}: pack them '
                '(PackInputs meta_keys; LoadRawFromFile gives raw_*, wb.txt or ComputeWbGains '
                'img_wb_gains; a prepared store older than this reference lacks raw_*: prepare '
                "it again) or set model.test_cfg.self_ref='gamma'")

        def rows(key: str, size: int) -> np.ndarray:
            # (n, size): a batch's list of per-sample values, as MMagic stacks metainfo
            values = np.asarray(meta[key], dtype=np.float64)
            if values.size != n * size:
                raise ReferenceUnavailable(f'metainfo {key} holds {values.size} numbers for a '
                                           f'batch of {n} (expected {size} per sample)')
            return values.reshape(n, size)

        factors = np.stack([wb_channel_factors(g) for g in rows('img_wb_gains', 4)])
        return tuple(torch.as_tensor(a, dtype=torch.float32) for a in
                     (rows('raw_rgb_cam', 9).reshape(n, 3, 3), rows('raw_camera_wb', 3), factors))

    def self_reference(self, inputs: Tensor, data_samples: Optional[DataSample] = None,
                       params: Optional[Tuple[Tensor, ...]] = None) -> Tensor:
        """The reference the paper feeds at inference, made from the (normalised) input;
        ``params`` (:meth:`render_params`) saves reading them again per tile."""
        if inputs.shape[1] == 3:
            return inputs
        if inputs.shape[1] != 1:
            raise ValueError(f'SDAN takes a 1-channel mosaic or a 3-channel image, got '
                             f'{inputs.shape[1]} channels')
        if self.self_ref == 'render':
            return self.render(inputs, *(params or self.render_params(data_samples,
                                                                      inputs.shape[0])))
        return self.demosaic.gamma_encoded(inputs, self.ref_gamma)

    def _pipeline_reference(self, data_samples: Optional[DataSample]) -> Tensor:
        ref = None if data_samples is None else data_samples.get('ref_img', None)
        if ref is None:
            raise ReferenceUnavailable('this SDAN mode needs the reference Y\' in the data '
                                       'samples (ref_img): add the reference step to the '
                                       "pipeline and 'ref_img' to data_preprocessor.data_keys")
        return ref

    def reference_fn(self, inputs: Tensor, data_samples: Optional[DataSample]) -> ReferenceFn:
        """The inference reference as a function of the region, for tiled inference: the self
        reference of a mosaic is made per region (it is local), any other is sliced."""
        if self.ref_mode != 'self' or inputs.shape[1] == 3:
            return TensorReference(self.reference(inputs, data_samples, training=False))
        params = (self.render_params(data_samples, inputs.shape[0])
                  if self.self_ref == 'render' else None)
        return LocalReference(inputs, lambda x: self.self_reference(x, params=params))

    def reference(self, inputs: Tensor, data_samples: Optional[DataSample],
                  training: bool) -> Tensor:
        if training:
            return self._pipeline_reference(data_samples)
        prep = self.data_preprocessor
        if self.ref_mode == 'oracle':
            # MMagic's DataPreprocessor normalises data-sample images only in training; at test
            # time it leaves them on the pixel scale for the metrics.
            return (self._pipeline_reference(data_samples) - prep.mean) / prep.std
        if self.ref_mode == 'lr_jpg' and inputs.shape[1] == 1:
            ref = None if data_samples is None else data_samples.get('lr_ref', None)
            if ref is None:
                raise ReferenceUnavailable(
                    "ref_mode='lr_jpg' needs the LR shot's camera JPG (lr_ref): the SR-RAW "
                    'val/test pipelines add it (LRJpgReference) when the JPG is beside the RAW; '
                    "a bare RAW file has none, use ref_mode='self'")
            return (ref.to(inputs) - prep.mean) / prep.std
        return self.self_reference(inputs, data_samples)

    def uses_tiles(self, inputs: Tensor) -> bool:
        """Whether :meth:`infer` runs ``inputs`` (N, C, H, W) in tiles."""
        return self.tile is not None and max(inputs.shape[-2:]) > self.tile.size

    def infer(self, inputs: Tensor, data_samples: Optional[DataSample] = None) -> SDANOutput:
        """The generator's output at inference, in tiles when ``test_cfg.tile`` says so."""
        if not self.uses_tiles(inputs):
            return self.generator(inputs, self.reference(inputs, data_samples, False))
        return sdan_tiled_forward(self.generator, inputs,
                                  self.reference_fn(inputs, data_samples), self.tile.size)

    def forward_tensor(self, inputs: Tensor, data_samples: Optional[DataSample] = None,
                       training: bool = False, **kwargs) -> Tensor:
        """The zoomed image (normalised), for ``mode='tensor'``."""
        if training:
            return self.generator(inputs, self.reference(inputs, data_samples, training)).output
        return self.infer(inputs, data_samples).output

    def forward_train(self, inputs: Tensor, data_samples: Optional[DataSample] = None,
                      **kwargs) -> Dict[str, Tensor]:
        ref = self.reference(inputs, data_samples, training=True)
        out = self.generator(inputs, ref)
        losses = dict(loss_hr=self.pixel_loss(out.output, data_samples.gt_img, out.mask_hr))
        if self.align_loss is not None:
            losses['loss_lr'] = self.align_loss(out.aligned_lr, ref, out.mask_lr)
        return losses

    def forward_inference(self, inputs: Tensor, data_samples: Optional[DataSample] = None,
                          **kwargs) -> DataSample:
        with torch.no_grad():
            out = self.infer(inputs, data_samples)
        destruct = self.data_preprocessor.destruct
        pred = destruct(out.output, data_samples)
        order = (data_samples.metainfo.get('pred_channel_order', 'RGB')
                 if data_samples is not None else 'RGB')
        if (order[0] if isinstance(order, (list, tuple)) else order) == 'BGR':
            pred = pred.flip(1)  # MMagic's inferencers write pred_img as BGR (inference_pipeline)
        return DataSample(
            pred_img=pred.cpu(),
            pred_aligned_lr=destruct(out.aligned_lr, data_samples).cpu(),
            pred_mask_lr=out.mask_lr.cpu(),
            pred_mask_hr=out.mask_hr.cpu(),
            pred_offset=out.offset.cpu())

"""Train the case's variants on the same data and budget, and record what the book compares."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dlclinic.backend import keras
from dlclinic.batchnorm_regression.metrics import count_mae, nmse
from dlclinic.batchnorm_regression.models import build_density_net
from dlclinic.batchnorm_regression.scaling import ScaledTargetModel
from dlclinic.batchnorm_regression.scenes import Scenes
from dlclinic.progress import EpochBar
from dlclinic.seeding import seed_everything

VARIANTS = {
    "reporter_bn": "BN after every hidden conv, raw targets (the report)",
    "no_bn": "no BatchNorm, raw targets",
    "bn_scaled": "BN, targets scaled to [0, 1] by the training max, inverted at prediction",
    "bn_output_scale": "BN, raw targets, a learnable output scale started at the targets' std",
}


@dataclass
class VariantRun:
    """One trained variant: its model, test-set predictions in target units and per-epoch curves."""

    name: str
    model: keras.Model
    predictions: np.ndarray
    val_nmse: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)

    def scores(self, test: Scenes) -> dict[str, float]:
        return {"nmse": nmse(test.maps, self.predictions), "count_mae": count_mae(test.maps, self.predictions)}


class ValidationNMSE(keras.callbacks.Callback):
    """Record the NMSE on validation maps, in target units, at the end of each epoch."""

    def __init__(self, predict, val: Scenes) -> None:
        super().__init__()
        self.predict_fn, self.val, self.history = predict, val, []

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.history.append(nmse(self.val.maps, self.predict_fn(self.val.images)))


def train_variant(
    name: str, train: Scenes, val: Scenes, test: Scenes, epochs: int, seed: int, batch_size: int = 32
) -> VariantRun:
    """Build, train and evaluate one of :data:`VARIANTS` from the same seed as the others."""
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    seed_everything(seed)
    size = train.images.shape[1]
    output_scale = float(train.maps.std()) if name == "bn_output_scale" else None
    model = build_density_net(size, batchnorm=name != "no_bn", output_scale=output_scale)
    fitter = ScaledTargetModel(model) if name == "bn_scaled" else model

    def predict(images: np.ndarray) -> np.ndarray:
        return fitter.predict(images, batch_size=256, verbose=0)

    curve = ValidationNMSE(predict, val)
    history = fitter.fit(
        train.images, train.maps, batch_size=batch_size, epochs=epochs, verbose=0,
        callbacks=[curve, EpochBar(epochs, name)],
    )
    return VariantRun(name, model, predict(test.images), curve.history, history.history["loss"])

"""The two-stage answer of the Airbus competition: an image-level ship / no-ship gate in front of a segmenter
trained on ship tiles only. A tile the gate calls empty gets an empty mask; the others get the segmenter's."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import positive_int
from dlclinic.differential import Fit
from dlclinic.seeding import seed_everything
from dlclinic.ship_segmentation.data import Tiles
from dlclinic.ship_segmentation.experiment import Run, batches, predict, test_metrics
from dlclinic.ship_segmentation.metrics import airbus_f2

GATE_THRESHOLDS = tuple(np.round(np.arange(0.05, 1.0, 0.05), 2))


def build_gate(size: int = 48, channels: int = 3, filters: int = 8) -> keras.Model:
    """A small CNN classifier: three 3×3 ReLU convolution + pooling blocks, global max pooling (a ship anywhere
    counts), one sigmoid unit: the probability that the tile holds a ship."""
    size, channels, filters = (positive_int(n, v) for n, v in (("size", size), ("channels", channels),
                                                                ("filters", filters)))
    inputs = keras.Input((size, size, channels))
    x = inputs
    for level in range(3):
        x = keras.layers.Conv2D(filters * 2**level, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x), name="gate")


def gated(segmentation: np.ndarray, ship_probability: np.ndarray, gate_threshold: float) -> np.ndarray:
    """``segmentation`` probabilities with every tile whose ship probability is at or below the gate's
    threshold set to zero."""
    keep = (np.asarray(ship_probability).reshape(-1) > gate_threshold).astype(segmentation.dtype)
    return segmentation * keep[:, None, None, None]


def gate_threshold(val: Tiles, segmentation: Run, ship_probability: np.ndarray) -> tuple[float, float]:
    """The gate threshold with the best validation F2 of the two stages (the segmenter at its own threshold)."""
    masks = (segmentation.val_prob > segmentation.threshold).astype("float32")
    found = {t: airbus_f2(val.masks, gated(masks, ship_probability, t)) for t in GATE_THRESHOLDS}
    best = max(found, key=found.get)
    return best, found[best]


def train_two_stage(
    segmenter: Run,
    data: tuple[Tiles, Tiles, Tiles],
    steps: int,
    learning_rate: float,
    seed: int,
    batch_size: int = 16,
    filters: int = 8,
    evaluations: int = 6,
) -> Fit:
    """Train the gate from ``seed`` for ``steps`` Adam steps (binary cross-entropy, every training tile), put it
    in front of ``segmenter`` (a ships-only run) and pick its threshold on validation F2. Validation F2 of the two
    stages is measured at ``evaluations`` evenly spaced steps; the fit's detail is the two stages' :class:`Run`
    (the gate as its model)."""
    train, val, test = data
    seed_everything(seed)
    gate = build_gate(train.images.shape[1], train.images.shape[-1], filters)
    gate.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
    labels = train.has_ship.astype("float32")[:, None]
    checkpoints = set(np.linspace(steps / evaluations, steps, evaluations).round().astype(int))
    at, curve = [], []
    for step, index in enumerate(batches(train, steps, batch_size, False, np.random.default_rng(seed)), 1):
        gate.train_on_batch(train.images[index], labels[index])
        if step in checkpoints:
            at.append(step)
            curve.append(gate_threshold(val, segmenter, predict(gate, val.images))[1])
    threshold = gate_threshold(val, segmenter, predict(gate, val.images))[0]
    both = Run(gate, gated(segmenter.val_prob, predict(gate, val.images), threshold),
               gated(segmenter.test_prob, predict(gate, test.images), threshold), segmenter.threshold)
    metrics = test_metrics(test, both.test_prob, both.threshold) | {"gate_threshold": threshold}
    return Fit(seed, learning_rate, at, curve, metrics, detail=both)

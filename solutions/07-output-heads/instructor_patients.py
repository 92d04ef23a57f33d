"""Make the saved patients of assignment 7 (instructor only: ``instructor_*`` files are never released).

``python solutions/07-output-heads/instructor_patients.py`` trains four small models on the case's vehicle
pictures, each compiled and saved beside the notebook as ``patient_N.keras`` (released), and prints each
patient's fault and the measured value that ``checks.py``'s ``PATIENTS`` holds. The faults are kept here and in
``checks.py`` only. The models are not the case's: another width, another dense layer, their own training
pictures and steps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from dlclinic.backend import keras
from dlclinic.output_heads.vehicles import make_vehicles
from dlclinic.seeding import seed_everything

OUT = Path(__file__).resolve().parent
layers = keras.layers
PROBE_SEED = 77  # the probe pictures of the assignment's setup cell
# patient: (its fault, output activation, loss)
PATIENTS = {
    "patient_1": ("sigmoid_twice", "sigmoid", keras.losses.BinaryCrossentropy(from_logits=True)),
    "patient_2": ("softmax_over_labels", "softmax", "categorical_crossentropy"),
    "patient_3": ("none", "sigmoid", "binary_crossentropy"),
    "patient_4": ("categorical_on_sigmoids", "sigmoid", "categorical_crossentropy"),
}


def build(activation: str) -> keras.Model:
    inputs = keras.Input((24, 24, 3))
    x = layers.Conv2D(6, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(12, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(24, 3, padding="same", activation="relu")(x)
    x = layers.Concatenate()([layers.GlobalMaxPooling2D()(x), layers.GlobalAveragePooling2D()(x)])
    x = layers.Dense(24, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(8, activation=activation)(x))


def evidence(fault: str, model: keras.Model) -> float:
    """The measurement the assignment asks for with each fault, on the probe pictures."""
    probe = make_vehicles(256, seed=PROBE_SEED)
    out = np.asarray(model.predict(probe.images, verbose=0), dtype=float)
    target = probe.multi_hot()
    if fault == "sigmoid_twice":
        return float((1 / (1 + np.exp(-out)))[target == 0].mean())
    if fault == "categorical_on_sigmoids":
        return float(out[target == 0].mean())
    if fault == "logits_as_probabilities":
        return float(np.mean((out < 0) | (out > 1)))
    return float(out[target == 1].mean())


def main() -> int:
    pictures = make_vehicles(2400, seed=4242)
    for index, (name, (fault, activation, loss)) in enumerate(PATIENTS.items()):
        seed_everything(100 + index)
        model = build(activation)
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=loss)
        model.fit(pictures.images, pictures.multi_hot(), batch_size=64, epochs=16, verbose=0)
        path = OUT / f"{name}.keras"
        model.save(path)
        again = keras.saving.load_model(path)
        print(f'"{name}": ("{fault}", {evidence(fault, again)!r}),  # {path.stat().st_size / 1024:.0f} KiB')
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Related symptom: two regression targets of very different scales trained with one MSE."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler

from dlclinic.backend import keras
from dlclinic.seeding import seed_everything


def two_scale_problem(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features x (n, 8) and targets y (n, 2): one in the thousands, one in the thousandths."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    big = 1000.0 * (np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2])
    small = 0.001 * (np.cos(x[:, 3]) + 0.5 * x[:, 4] ** 2)
    return x, np.column_stack([big, small]).astype("float32")


def fit_two_targets(standardise: bool, epochs: int, seed: int, n: int = 2000) -> dict[str, float]:
    """Train one small MLP on both targets; return each target's held-out R², raw or standardised."""
    x, y = two_scale_problem(n, seed)
    split = int(0.8 * n)
    scaler = StandardScaler().fit(y[:split]) if standardise else None
    y_fit = scaler.transform(y[:split]) if scaler else y[:split]
    seed_everything(seed)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    model.fit(x[:split], y_fit, epochs=epochs, batch_size=64, verbose=0)
    pred = model.predict(x[split:], verbose=0)
    pred = scaler.inverse_transform(pred) if scaler else pred
    return {name: float(r2_score(y[split:, i], pred[:, i])) for i, name in enumerate(["large target", "small target"])}

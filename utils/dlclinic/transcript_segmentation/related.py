"""Small, fast experiments for the related questions: focal loss beyond two classes, rare events in a
sensor series, an F-score as a loss, and loss spikes under huge class weights."""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks
from sklearn.linear_model import LogisticRegression

from dlclinic.backend import keras, tf
from dlclinic.checks import positive_int
from dlclinic.seeding import seed_everything


def multiclass_losses(y_true: np.ndarray, y_pred: np.ndarray, alpha: np.ndarray) -> dict[str, float]:
    """Losses of one-hot targets against softmax outputs (n, C): CCE, BCE (every class a yes/no question),
    binary focal with one alpha, and categorical focal with one alpha per class (weighting the true class)."""
    y_true, y_pred = np.asarray(y_true, dtype=np.float32), np.asarray(y_pred, dtype=np.float32)
    alpha = np.asarray(alpha, dtype=np.float32)
    if y_true.shape != y_pred.shape or alpha.shape != (y_true.shape[1],):
        raise ValueError(
            f"need y_true, y_pred (n, C) and alpha (C,); got {y_true.shape}, {y_pred.shape}, {alpha.shape}"
        )
    p_true = np.sum(y_true * y_pred, axis=1)
    per_class_focal = -np.sum(y_true * alpha, axis=1) * (1 - p_true) ** 2 * np.log(p_true)
    return {
        "categorical CE": float(keras.losses.CategoricalCrossentropy()(y_true, y_pred)),
        "binary CE": float(keras.losses.BinaryCrossentropy()(y_true, y_pred)),
        "binary focal, one alpha": float(
            keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25)(y_true, y_pred)
        ),
        "categorical focal, alpha per class": float(per_class_focal.mean()),
    }


def sensor_series(n_series: int, length: int = 800, events: int = 3, seed: int = 0):
    """Noisy 1-D series where each of ``events`` time steps (label 1) sits at the centre of a short bump."""
    positive_int("n_series", n_series)
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    x = rng.normal(0, 1.0, size=(n_series, length))
    y = np.zeros((n_series, length), dtype=int)
    for i in range(n_series):
        for c in rng.choice(np.arange(20, length - 20), size=events, replace=False):
            x[i] += 2.5 * np.exp(-0.5 * ((t - c) / 4.0) ** 2)
            y[i, c] = 1
    return x, y


def _lagged(x: np.ndarray, half: int) -> np.ndarray:
    padded = np.pad(x, ((0, 0), (half, half)))
    return np.stack([padded[:, j : j + x.shape[1]] for j in range(2 * half + 1)], axis=-1).reshape(-1, 2 * half + 1)


def sensor_event_detection(seed: int = 0, half: int = 8) -> dict[str, dict[str, float]]:
    """Per-time-step logistic regression with and without a window of past and future values, balanced
    class weights, then one detection per peak of the scores; hit = a peak within 2 steps of an event."""
    x_train, y_train = sensor_series(40, seed=seed)
    x_test, y_test = sensor_series(20, seed=seed + 1)
    out = {}
    for name, h in [("this step only", 0), (f"window of ±{half} steps", half)]:
        model = LogisticRegression(class_weight="balanced", max_iter=500)
        model.fit(_lagged(x_train, h), y_train.ravel())
        scores = model.predict_proba(_lagged(x_test, h))[:, 1].reshape(x_test.shape)
        hits = found = 0
        for s, y in zip(scores, y_test, strict=True):
            peaks, _ = find_peaks(s, height=0.5, distance=10)
            events = np.flatnonzero(y)
            found += len(peaks)
            hits += sum(np.min(np.abs(events - p)) <= 2 for p in peaks) if len(peaks) else 0
        precision = hits / found if found else 0.0
        recall = min(hits, y_test.sum()) / y_test.sum()
        out[name] = {"detections": float(found), "precision": float(precision), "recall": float(recall)}
    return out


def soft_f1_loss(y_true, y_pred):
    """1 - F1 with probabilities in place of counts: differentiable, but not a proper scoring rule."""
    y_true = tf.cast(y_true, y_pred.dtype)
    tp = tf.reduce_sum(y_true * y_pred)
    return 1.0 - 2.0 * tp / (tf.reduce_sum(y_true) + tf.reduce_sum(y_pred) + 1e-7)


def spike_run(
    x: np.ndarray,
    y: np.ndarray,
    weight: float,
    *,
    clipnorm: float | None = None,
    bias: float = 0.0,
    epochs: int = 1,
    seed: int = 0,
) -> dict[str, float]:
    """Train a one-sigmoid head with plain SGD and class-1 weight ``weight``, one batch at a time; report the
    weighted loss of the batches and the size of each update to the weights."""
    seed_everything(seed)
    model = keras.Sequential(
        [
            keras.Input((x.shape[1],)),
            keras.layers.Dense(1, activation="sigmoid", bias_initializer=keras.initializers.Constant(bias)),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.5, clipnorm=clipnorm), loss="binary_crossentropy")
    sample_weight = np.where(y == 1, weight, 1.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(x))
    losses, steps = [], []
    for _ in range(epochs):
        for start in range(0, len(x), 64):
            batch = order[start : start + 64]
            before = np.concatenate([w.ravel() for w in model.get_weights()])
            losses.append(float(model.train_on_batch(x[batch], y[batch], sample_weight=sample_weight[batch])))
            steps.append(np.linalg.norm(np.concatenate([w.ravel() for w in model.get_weights()]) - before))
    losses, steps = np.array(losses), np.array(steps)
    return {
        "first-batch loss": float(losses[0]),
        "max / median batch loss": float(losses.max() / np.median(losses)),
        "median update": float(np.median(steps)),
        "largest update": float(steps.max()),
    }

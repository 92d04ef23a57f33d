"""Does each output's activation and loss suit the structure of its targets? A check a reader runs on any Keras
model (:func:`head_report`), and the gradient that shows why one softmax over labels that are not exclusive
makes them compete (:func:`logit_gradients`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from IPython.display import Markdown

from dlclinic.backend import keras, tf
from dlclinic.tables import markdown_rows

CROSS_ENTROPIES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                   "binary_focal_crossentropy", "categorical_focal_crossentropy")
TOLERANCE = 1e-3


def target_structure(targets: object, groups: Sequence[int] | None = None) -> str:
    """What the targets of one output are: "masked" (NaN or −1 where a label is missing), "one-hot", "grouped"
    (one 1 in each group of columns, ``groups`` their sizes), "cumulative" (0/1 rows of 1s then 0s: ordinal
    "above k" targets), "multi-hot", "binary", "integer labels", "soft labels" (in [0, 1]) or "continuous"."""
    y = np.asarray(targets, dtype=float)
    if y.ndim == 0 or len(y) == 0:
        raise ValueError(f"targets must be an array with one row per example; got shape {y.shape}")
    if np.isnan(y).any() or ((y == -1).any() and np.isin(y[y != -1], (0.0, 1.0)).all()):
        return "masked"
    if y.ndim == 1 or y.shape[-1] == 1:
        if np.isin(y, (0.0, 1.0)).all():
            return "binary"
        return "integer labels" if np.all(y == np.round(y)) else "continuous"
    rows = y.reshape(-1, y.shape[-1])
    if not np.isin(rows, (0.0, 1.0)).all():
        return "soft labels" if rows.min() >= 0 and rows.max() <= 1 else "continuous"
    if np.all(rows.sum(axis=1) == 1):
        return "one-hot"
    if groups is not None and sum(groups) == rows.shape[1]:
        edges = np.cumsum([0, *groups])
        if all(np.all(rows[:, a:b].sum(axis=1) == 1) for a, b in zip(edges[:-1], edges[1:], strict=True)):
            return "grouped"
    if np.all(np.diff(rows, axis=1) <= 0) and rows.sum(axis=1).max() > 1:
        return "cumulative"
    return "multi-hot"


def _loss_of(model: keras.Model, index: int) -> object:
    loss = model.loss
    if isinstance(loss, dict):
        return loss.get(model.output_names[index])
    if isinstance(loss, list | tuple):
        return loss[index] if index < len(loss) else None
    return loss


def _loss_name(loss: object) -> tuple[str, bool | None]:
    """The loss's name and its ``from_logits`` setting (``None`` when a custom function does not say)."""
    if loss is None:
        return "none (not compiled)", None
    if isinstance(loss, str):
        return loss, False
    if isinstance(loss, keras.losses.Loss):
        config = loss.get_config()
        return config.get("name", type(loss).__name__), config.get("from_logits")
    return getattr(loss, "__name__", type(loss).__name__), None


def _activation(output: object) -> str:
    layer = output._keras_history.operation
    activation = getattr(layer, "activation", None)
    if activation is not None:
        return getattr(activation, "__name__", str(activation))
    return type(layer).__name__.lower()


def _measured(values: np.ndarray) -> tuple[str, float, float, float]:
    """How the output behaves on real inputs: "sums to one", "probabilities" or "logits"; its mean row sum, its
    smallest and largest value."""
    rows = values.reshape(len(values), -1)
    row_sum, low, high = float(rows.sum(axis=1).mean()), float(rows.min()), float(rows.max())
    in_range = low >= -TOLERANCE and high <= 1 + TOLERANCE
    if in_range and rows.shape[1] > 1 and np.all(np.abs(rows.sum(axis=1) - 1) < TOLERANCE):
        return "sums to one", row_sum, low, high
    return ("probabilities" if in_range else "logits"), row_sum, low, high


@dataclass
class HeadCheck:
    """One output of a model: its declared activation, how its values behave, its loss, its targets' structure,
    and what contradicts what (``problems``; empty when they suit each other)."""

    output: str
    activation: str
    measured: str
    row_sum: float
    low: float
    high: float
    loss: str
    from_logits: bool | None
    targets: str
    ones_per_row: float
    problems: list[str] = field(default_factory=list)

    @property
    def suits(self) -> bool:
        return not self.problems


def _problems(check: HeadCheck, loss_value: float) -> list[str]:
    found = []
    cross_entropy = any(name in check.loss for name in CROSS_ENTROPIES)
    several = check.targets in ("multi-hot", "grouped", "cumulative")
    if check.measured == "sums to one" and several:
        found.append(f"one softmax over labels that are not exclusive ({check.ones_per_row:.2g} true labels per "
                     "example): they share a total of 1 and compete")
    elif several and "categorical_crossentropy" in check.loss and "sparse" not in check.loss:
        found.append("categorical cross-entropy normalises the outputs to sum to one: the labels compete whatever "
                     "the activation")
    if check.from_logits and check.measured in ("sums to one", "probabilities"):
        found.append(f"the loss applies its own sigmoid/softmax (from_logits=True) to outputs that are already "
                     f"probabilities (all in [{check.low:.3g}, {check.high:.3g}])")
    if cross_entropy and check.from_logits is False and check.measured == "logits":
        found.append(f"the loss reads logits (from {check.low:.3g} to {check.high:.3g}) as probabilities and clips "
                     "them to [1e-7, 1 − 1e-7]")
    if check.targets == "masked" and "masked" not in check.loss:
        what = "makes the loss NaN" if not np.isfinite(loss_value) else "enters the loss as a target"
        found.append(f"missing labels (NaN or −1) are not masked: each missing entry {what}")
    return found


def head_report(model: keras.Model, inputs: object, targets: object | Sequence[object],
                groups: Sequence[int] | None = None) -> list[HeadCheck]:
    """Check every output of the compiled ``model`` against its ``targets`` (one array per output) on ``inputs``:
    the activation it declares, what its values do (sum to one, stay in [0, 1], or not), its loss and
    ``from_logits``, and the targets' structure (:func:`target_structure`; ``groups``: sizes of label groups)."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model; got {type(model).__name__}")
    outputs = model.predict(inputs, verbose=0)
    outputs = list(outputs) if isinstance(outputs, list | tuple) else [outputs]
    target_list = list(targets) if isinstance(targets, list | tuple) else [targets]
    if len(target_list) != len(outputs):
        raise ValueError(f"give one target array per output: the model has {len(outputs)}, got {len(target_list)}")
    checks = []
    for index, (values, target) in enumerate(zip(outputs, target_list, strict=True)):
        values = np.asarray(values, dtype=float)
        target = np.asarray(target, dtype=float)
        if len(target) != len(values):
            raise ValueError(f"targets of output {index} have {len(target)} rows for {len(values)} inputs")
        loss = _loss_of(model, index)
        name, from_logits = _loss_name(loss)
        measured, row_sum, low, high = _measured(values)
        structure = target_structure(target, groups)
        ones = float(np.nansum(target == 1, axis=-1).mean()) if target.ndim > 1 else 1.0
        check = HeadCheck(model.output_names[index], _activation(model.outputs[index]), measured, row_sum, low,
                          high, name, from_logits, structure, ones)
        loss_value = _loss_value(loss, target, values)
        check.problems = _problems(check, loss_value)
        checks.append(check)
    return checks


def _loss_value(loss: object, target: np.ndarray, values: np.ndarray) -> float:
    if loss is None:
        return float("nan")
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    try:
        return float(np.mean(np.asarray(fn(tf.constant(target, "float32"), tf.constant(values, "float32")))))
    except (ValueError, TypeError, tf.errors.InvalidArgumentError):
        return float("nan")


def report_table(checks: Sequence[HeadCheck], title: str = "") -> Markdown:
    """The checks as a table: one row per output."""
    rows = [[check.output, check.activation, f"{check.measured} (row sum {check.row_sum:.3g}, "
             f"[{check.low:.3g}, {check.high:.3g}])", f"{check.loss}" + ("" if check.from_logits is None else
                                                                        f", from_logits={check.from_logits}"),
             check.targets, "; ".join(check.problems) or "suit each other"] for check in checks]
    table = markdown_rows(["output", "activation", "measured on the inputs", "loss", "targets", "verdict"], rows)
    return Markdown((f"**{title}**\n\n" if title else "") + table)


def logit_gradients(loss: Callable, activation: Callable, y_true: object, logits: object) -> np.ndarray:
    """∂ sum(loss(y_true, activation(z))) / ∂z at ``logits``: what the loss asks of each output's logit (negative:
    push it up)."""
    z = tf.Variable(np.asarray(logits, dtype="float32"))
    y = tf.constant(np.asarray(y_true, dtype="float32"))
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(loss(y, activation(z)))
    return tape.gradient(value, z).numpy()

"""The epoch bar: one stdout line per fit, which says when a run ends before its last epoch."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.progress import EpochBar


def fit(epochs: int, callbacks: list) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 1), dtype="float32")
    model.fit(x, x, epochs=epochs, verbose=0, callbacks=callbacks)


def test_a_full_run_fills_the_bar(capsys):
    fit(3, [EpochBar(3, "demo")])
    out = capsys.readouterr()
    assert "demo: 100%" in out.out and "3/3" in out.out and "stopped early" not in out.out
    assert out.err == ""


def test_an_early_stop_is_named(capsys):
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1.0)  # no epoch improves by 1
    fit(5, [stop, EpochBar(5, "demo")])
    out = capsys.readouterr().out
    assert "demo (stopped early)" in out and "2/5" in out

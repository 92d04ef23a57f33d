"""The kernel's side of grading: what a hidden test cell uses to compute the learner's answers and hand them out.

A hidden test cell never compares anything: it runs the learner's code on the grader's inputs and hands the
results out; the assignment's check module decides the score outside the kernel (``dlclinic.grading.outside``;
``solutions/README.md`` is the author's guide)::

    ### BEGIN HIDDEN TESTS
    from dlclinic.grading.handout import grader_inputs as _grader_inputs, hand_out as _hand_out

    _x = _grader_inputs()["square_x"]
    _hand_out(squares=square(_x), square=square)
    ### END HIDDEN TESTS

- ``grader_inputs()``: the inputs the grader drew for this grading run (from a seed it makes at grading time
  and keeps outside: nothing in the release or the sandbox holds them before the notebook runs).
- ``hand_out(**answers)``: hands the values out as one display output of the cell (plain data only; a
  function is handed out as where it was defined).
- ``perturbed(model)``: a context in which a Keras model's weights carry noise, to show that predictions come
  from that model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from dlclinic.grading.codec import decode_all, encode_all

MIME = "application/vnd.dlclinic.handout+json"
INPUTS_ENV = "DLCLINIC_GRADER_INPUTS"


class NoGraderInputs(RuntimeError):
    """The notebook runs outside a grading run (hidden tests run only when the grader executes them)."""


def grader_inputs() -> dict[str, Any]:
    """The grader's inputs for this run, decoded afresh on each call (an answer that changes them in place
    changes only its own copy)."""
    path = os.environ.get(INPUTS_ENV)
    if not path or not os.path.isfile(path):
        raise NoGraderInputs(
            "no grader inputs: hidden tests run only under `python -m dlclinic.grading autograde` "
            "(or the test harness), which draws them"
        )
    with open(path, encoding="utf-8") as handle:
        return decode_all(json.load(handle))


def hand_out(**answers: object) -> None:
    """Hand ``answers`` out of the kernel: one display output of this cell, read by the grader after the run."""
    from IPython.display import display

    display({MIME: {"answers": encode_all(answers)}}, raw=True)


@contextmanager
def perturbed(model: Any, scale: float = 0.5, seed: int = 0) -> Iterator[None]:
    """Inside the ``with`` block every floating weight ``w`` of the Keras ``model`` is
    ``w + N(0, (scale * (std(w) + 0.01))^2)``; the weights are restored after it."""
    if not callable(getattr(model, "get_weights", None)) or not callable(getattr(model, "set_weights", None)):
        raise TypeError(f"expected a Keras model; got {type(model).__name__}")
    weights = model.get_weights()
    rng = np.random.default_rng(seed)
    noisy = [
        w + rng.normal(0.0, scale * (float(np.std(w)) + 0.01), size=np.shape(w)).astype(w.dtype)
        if np.issubdtype(np.asarray(w).dtype, np.floating)
        else w
        for w in weights
    ]
    model.set_weights(noisy)
    try:
        yield
    finally:
        model.set_weights(weights)

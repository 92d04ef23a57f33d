"""Assignment 7's checks: references, comparisons and the training bar, run by the grader outside the sandbox.

Never released and never in a sandbox (``nbgrader_config.py`` ignores ``checks.py``); each hidden test cell of
``07-output-heads.ipynb`` hands its answers out and the function named by its grade id scores them
(``dlclinic.grading.outside``; ``solutions/README.md``). The points are the cells' nbgrader points.
"""

from __future__ import annotations

import numpy as np

from dlclinic.grading.outside import Wrong, as_array, close, own_function, python_float
from dlclinic.output_heads.vehicles import make_vehicles

# The learner writes these; the sandbox's dlclinic raises "write this yourself" for each.
GRADED = ["dlclinic.output_heads.losses.masked_binary_crossentropy", "dlclinic.output_heads.losses.coral_targets"]

# Each patient's fault from the closed list and the value the list asks for with it, measured on the notebook's
# probe pictures (instructor_patients.py prints them).
PATIENTS = {
    "patient_1": ("sigmoid_twice", 0.519049683876651),
    "patient_2": ("softmax_over_labels", 0.3989795308880275),
    "patient_3": ("none", 0.7619470362333232),
    "patient_4": ("categorical_on_sigmoids", 0.30458196109123764),
}
POINTS_PER_PATIENT = 4
# Held-out exact match (every output above 0.5 is the picture's label set): the untreated patient and the label
# frequencies score 0, a vote of the 5 nearest training pictures 0.43 (15 neighbours: 0.33), the solution
# 0.800, 0.767 and 0.803 with seeds 0, 1, 2 (on 1,000 pictures of one held-out seed).
BAR = 0.65
HELD_OUT = 600


def _bce(truth: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(truth * np.log(p) + (1 - truth) * np.log(1 - p))


def inputs(rng: np.random.Generator) -> dict:
    """The grader's inputs; the held-out targets stay outside the kernel."""
    cases = []
    for shape in [(7, 4), (3, 9), (16, 1)]:
        truth = (rng.random(shape) < 0.4).astype("float32")
        known = rng.random(shape) < 0.45
        known[0, 0] = True
        cases.append({"y": np.where(known, truth, np.nan).astype("float32"), "mask": known.astype("float32"),
                      "p": rng.uniform(0.02, 0.98, shape).astype("float32")})
    held_out = make_vehicles(HELD_OUT, seed=int(rng.integers(2**31)))
    return {
        "masked_cases": cases,
        "coral_cases": [{"y": rng.integers(0, k, 11), "k": k} for k in (2, 3, 7)],
        "held_out_images": held_out.images,
        "_held_out_targets": held_out.multi_hot(),
    }


def test_patient_diagnoses(inputs, answers):
    diagnoses = answers["diagnoses"]
    if not isinstance(diagnoses, dict):
        raise Wrong(f"diagnoses should be a dict; it was {answers.types['diagnoses']}")
    right, wrong = 0, []
    for name, (fault, value) in PATIENTS.items():
        given = diagnoses.get(name)
        ok = isinstance(given, tuple | list) and len(given) == 2 and given[0] == fault
        ok = ok and type(given[1]) is float and abs(given[1] - value) <= 2e-3 * abs(value)  # a guess earns nothing
        right += ok
        wrong += [] if ok else [name]
    return (POINTS_PER_PATIENT * right,
            f"wrong: {', '.join(wrong)} (the fault, and the value the list names for it)" if wrong else "")


def test_masked_binary_crossentropy(inputs, answers):
    labelled = -np.log([0.9, 0.7, 0.6, 0.8])
    close("masked_binary_crossentropy on the worked example", python_float(answers, "value"), labelled.mean(),
          rtol=1e-4)
    if answers["empty"] != 0.0:
        raise Wrong("a batch without any label must give 0")


def test_masked_binary_crossentropy_hidden(inputs, answers):
    own_function(answers, "function")
    for case, value, gradient in zip(inputs["masked_cases"], answers["values"], answers["gradients"], strict=True):
        known = case["mask"] > 0
        truth = np.nan_to_num(case["y"])
        close(f"masked_binary_crossentropy on shape {case['y'].shape}", value, _bce(truth, case["p"])[known].mean(),
              rtol=1e-4)
        gradient = as_array("its gradient with respect to y_pred", gradient, case["p"].shape)
        if not np.all(np.isfinite(gradient)):
            raise Wrong("the gradient is not finite: missing labels (NaN) leak into it")
        if np.any(gradient[~known] != 0):
            raise Wrong("a missing label must give its output no gradient")
    if answers["all_missing"] != 0.0:
        raise Wrong("a batch without any label must give 0, not NaN")
    edge = answers["confident_wrong"]
    if not (np.isfinite(edge) and 15 < edge < 17):
        raise Wrong(f"confident and wrong: clip p to [1e-7, 1 - 1e-7] before the logarithms; got {edge}")


def test_coral_targets(inputs, answers):
    expected = [[0, 0, 0, 0], [1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1], [1, 1, 0, 0]]
    close("coral_targets([0, 3, 1, 4, 2], 5)", as_array("coral_targets", answers["targets"], (5, 4)), expected)


def test_coral_targets_hidden(inputs, answers):
    own_function(answers, "function")
    for case, got, dtype in zip(inputs["coral_cases"], answers["targets"], answers["dtypes"], strict=True):
        expected = (case["y"][:, None] > np.arange(case["k"] - 1)[None, :]).astype(float)
        close(f"coral_targets with {case['k']} grades", as_array("coral_targets", got, expected.shape), expected)
        if dtype != "float32":
            raise Wrong(f"coral_targets should return float32 targets; it returned {dtype}")
    close("coral_targets([2, 0], 4) from a list", answers["from_list"], [[1, 1, 0], [0, 0, 0]])


def test_train_multilabel(inputs, answers):
    targets = inputs["_held_out_targets"]
    outputs = as_array("the model's outputs on the grader's held-out pictures", answers["outputs"], targets.shape)
    perturbed = as_array("its outputs with noisy weights", answers["perturbed"], targets.shape)
    if outputs.min() < 0 or outputs.max() > 1:
        raise Wrong("the outputs must be probabilities in [0, 1]")
    if np.allclose(outputs, perturbed, atol=1e-4):
        raise Wrong("the outputs do not come from the trained model: noise on its weights changed nothing")
    exact = float(np.mean(np.all((outputs > 0.5) == (targets > 0.5), axis=1)))
    if exact <= BAR:
        raise Wrong(f"held-out exact match {exact:.3f} is not above {BAR}")
    return None, f"held-out exact match {exact:.3f} (needed above {BAR})"

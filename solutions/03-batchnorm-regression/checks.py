"""Assignment 3's checks: references, comparisons and bars, run by the grader outside the sandbox.

Never released and never in a sandbox (``nbgrader_config.py`` ignores ``checks.py``); each hidden test cell of
``03-batchnorm-regression.ipynb`` hands its answers out and the function named by its grade id scores them
(``dlclinic.grading.outside``; ``solutions/README.md``). The points are the cells' nbgrader points. The references
are the package's own functions; the patients' diagnoses and the bars come from ``instructor_patients.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlclinic.grading.outside import Wrong, as_array, close, own_function, python_float

# The learner writes these; the sandbox's dlclinic raises "write this yourself" for each. Not density_map: the
# scene generator the notebook's setup calls is built on it (a stub would stop every cell); both its test cells
# take their points only from a density_map defined in the notebook (own_function).
GRADED = [
    "dlclinic.batchnorm_regression.treatments.TargetScaler",
    "dlclinic.batchnorm_regression.metrics.nmse",
    "dlclinic.batchnorm_regression.diagnosis.output_scale_ratio",
    "dlclinic.batchnorm_regression.diagnosis.decompose",
    "dlclinic.batchnorm_regression.diagnosis.scale_decomposition",
    "dlclinic.batchnorm_regression.diagnosis.batch_to_moving_ratio",
]

HERE = Path(__file__).resolve().parent
PROBE_SIZE = 16  # the grader's density nets and scenes for the diagnosis functions: 16 x 16 pixels
PATIENT_SIZE = 32  # the patients' input size
# The patients' diagnoses on the notebook's check scenes (instructor_patients.py prints the measures): the fault
# from the notebook's closed list and the measured value that proves it (the measure that fault names).
# Measured (nmse, output_scale_ratio, alignment, batch_to_moving_ratio): a 5.03, 2.32, 0.0283, 0.924; b 1.02, 0.0493,
# 1.89, 18.4; c 0.175, 1.19, 1.46, 0.764; d 10837, 93.3, 1.12, 1.52.
PATIENTS = {
    "patient_a": ("trained on raw targets", 0.02830221712228455),
    "patient_b": ("moving statistics never updated", 18.398323983124023),
    "patient_c": ("healthy", 0.17540348017861054),
    "patient_d": ("scaling never undone", 93.29229549723964),
}
VALUE_RTOL = 0.05  # a measured value within 5 % (a machine's floats, a different TensorFlow) is the same value
TREATED = "patient_b"  # the patient the learner treats: its statistics re-estimated, no weight changed
TREATED_BAR = 0.3  # held-out NMSE: treated 0.071-0.081, untreated 1.09-1.15, the mean map 0.94-0.97 (3 seeds)
BAR = 0.28  # held-out NMSE: blob counter 0.31-0.37 (5 seeds, mean 0.34), mean map 0.96, solution 0.17-0.24 (seeds 0-2)


def _probe_weights(rng: np.random.Generator) -> list[np.ndarray]:
    """Weights for ``build_density_net(PROBE_SIZE)`` with moving statistics that do not match the data."""
    from dlclinic.batchnorm_regression.models import build_density_net

    draw = {
        "kernel": lambda shape: rng.normal(0.0, 0.2, shape),
        "bias": lambda shape: rng.normal(0.0, 0.05, shape),
        "gamma": lambda shape: rng.uniform(0.5, 1.5, shape),
        "beta": lambda shape: rng.normal(0.0, 0.2, shape),
        "moving_mean": lambda shape: rng.normal(0.0, 0.3, shape),
        "moving_variance": lambda shape: rng.uniform(0.05, 0.6, shape),
    }
    net = build_density_net(PROBE_SIZE)
    return [draw[weight.path.split("/")[-1]](tuple(weight.shape)).astype("float32") for weight in net.weights]


def _probe_net(weights: list[np.ndarray]):
    from dlclinic.batchnorm_regression.models import build_density_net

    net = build_density_net(PROBE_SIZE)
    net.set_weights(weights)
    return net


def inputs(rng: np.random.Generator) -> dict:
    """The grader's inputs; keys that start with ``_`` (held-out maps) stay outside the kernel."""
    from dlclinic.batchnorm_regression.data import make_scenes

    seeds = rng.integers(10**6, 2**31, size=4)
    probe = make_scenes(6, PROBE_SIZE, seed=int(seeds[0]))
    treat = make_scenes(100, PATIENT_SIZE, seed=int(seeds[1]))
    held_out = make_scenes(200, 48, seed=int(seeds[2]))
    targets = rng.uniform(0, 0.01, size=(6, 8, 8, 1))
    return {
        "density_cases": [(rng.uniform(-2, 34, size=(int(rng.integers(1, 6)), 2)), float(rng.uniform(0.8, 6.0)))
                          for _ in range(4)],
        "scaler_train": targets,
        "scaler_other": rng.uniform(0, 0.03, size=(3, 8, 8, 1)),
        "nmse_true": targets + 0.002,
        "nmse_pred": targets + 0.002 + rng.normal(0, 0.003, size=targets.shape),
        "probe_weights": _probe_weights(rng),
        "probe_images": probe.images,
        "probe_maps": probe.maps,
        "treat_images": treat.images,
        "_treat_maps": treat.maps,
        "held_out_images": held_out.images,
        "_held_out_maps": held_out.maps,
    }


def _reference_density(points, height, width, sigma):
    from dlclinic.batchnorm_regression.density import density_map

    return density_map(points, height, width, sigma)


def _nmse(y_true, y_pred) -> float:
    from dlclinic.batchnorm_regression.metrics import nmse

    return nmse(y_true, y_pred)


# --- density_map ---


def test_density_map(inputs, answers):
    own_function(answers, "function")
    one = close("density_map([[20, 15]], 30, 40, 4.0)", answers["one"], _reference_density([[20, 15]], 30, 40, 4.0),
                rtol=1e-5, atol=1e-9)
    assert one.shape == (30, 40)


def test_density_map_hidden(inputs, answers):
    own_function(answers, "function")
    maps = answers["maps"]
    if not isinstance(maps, list) or len(maps) != len(inputs["density_cases"]):
        raise Wrong("density_map did not return one map per case")
    for (points, sigma), got in zip(inputs["density_cases"], maps, strict=True):
        close(f"density_map(points, 32, 36, sigma={sigma:.2f})", got, _reference_density(points, 32, 36, sigma),
              rtol=1e-5, atol=1e-9)
    close("density_map([], 5, 6, 2.0)", answers["empty"], np.zeros((5, 6)))


# --- TargetScaler ---

_TOY_TRAIN = np.array([[0.0, 0.002, 0.009], [0.001, 0.004, 0.002]])
_TOY_TEST = np.array([0.003, 0.009, 0.0])


def test_TargetScaler(inputs, answers):
    mean, std = _TOY_TRAIN.mean(), _TOY_TRAIN.std()
    if answers["fit_returns"] != "self":
        raise Wrong("fit should return the scaler itself (return self)")
    close("transform(train_y)", answers["scaled"], (_TOY_TRAIN - mean) / std)
    close("transform(test_y) with the training mean and std", answers["scaled_test"], (_TOY_TEST - mean) / std)
    close("inverse_transform(transform(test_y))", answers["round_trip"], _TOY_TEST)
    if answers["errors"] != ["ValueError", "ValueError"]:
        raise Wrong("transform before fit, and fit on a constant y, should each raise ValueError")


def test_TargetScaler_hidden(inputs, answers):
    own_function(answers, "function")
    a, b = inputs["scaler_train"], inputs["scaler_other"]
    close("transform(other data) uses the training mean and std", answers["other"], (b - a.mean()) / a.std())
    close("inverse_transform(0.5)", answers["half"], np.full((2, 2), 0.5 * a.std() + a.mean()))
    close("inverse_transform(transform(other data))", answers["round_trip"], b)
    close("a refit learns the new numbers", answers["refit"], (a - b.mean()) / b.std())
    close("a small but real spread is fine", answers["small"], [0.0], atol=1e-6)
    if answers["errors"] != ["ValueError"] * 3:
        raise Wrong("fit on a constant y (std 0 up to rounding) and inverse_transform before fit should raise "
                    "ValueError")


# --- nmse ---


def test_nmse(inputs, answers):
    close("nmse(y, y), nmse(y, mean), nmse(y, [0, 1, 2, 2])", answers["values"], [0.0, 1.0, 0.2])


def test_nmse_hidden(inputs, answers):
    own_function(answers, "function")
    y, p = inputs["nmse_true"], inputs["nmse_pred"]
    got = python_float(answers, "value")
    close("nmse on the grader's maps", got, _nmse(y, p))
    close("nmse is scale-free", answers["scaled"], _nmse(y, p), rtol=1e-9)


# --- diagnosis functions, applied to the grader's density nets ---


def test_diagnose_output_scale_ratio(inputs, answers):
    ratio = python_float(answers, "ratio")
    x = np.arange(28, dtype="float32").reshape(7, 4) ** 1.5 / 20
    expected = np.std(3 * x[:, 0] - x[:, 2]) / np.std(0.01 * x[:, 1:2] + 0.001)
    close("output_scale_ratio on the linear model", ratio, expected, rtol=1e-4)


def test_diagnose_output_scale_ratio_hidden(inputs, answers):
    from dlclinic.batchnorm_regression.diagnosis import output_scale_ratio

    own_function(answers, "function")
    net = _probe_net(inputs["probe_weights"])
    expected = output_scale_ratio(net, inputs["probe_images"], inputs["probe_maps"])
    close("output_scale_ratio on the grader's BatchNorm net", python_float(answers, "ratio"), expected, rtol=1e-4)


_ALIGNMENT_CASES = {"w = (1, 0)": np.sqrt(1 / 2), "w = (0, 2)": np.sqrt(3 / 2), "w = (1, 1)": 1.0}


def test_diagnose_kernel_alignment(inputs, answers):
    values = answers["values"]
    if not isinstance(values, list) or not all(type(value) is float for value in values):
        raise Wrong("kernel_alignment should return a Python float")
    close("kernel_alignment of the three linear models", values, list(_ALIGNMENT_CASES.values()), rtol=1e-4)


def test_diagnose_kernel_alignment_hidden(inputs, answers):
    from dlclinic.batchnorm_regression.diagnosis import scale_decomposition

    own_function(answers, "function")
    net = _probe_net(inputs["probe_weights"])
    expected = scale_decomposition(net, inputs["probe_images"])["alignment"]
    close("kernel_alignment on the grader's BatchNorm net", python_float(answers, "alignment"), expected, rtol=1e-3)


def _kept_statistics(inputs, answers) -> None:
    after = answers["after"]
    if not isinstance(after, list) or len(after) != len(inputs["probe_weights"]):
        raise Wrong("the model's weights could not be read after batch_to_moving_ratio")
    for before, now in zip(inputs["probe_weights"], after, strict=True):
        if not np.allclose(np.asarray(now, dtype=float), before, rtol=1e-6, atol=1e-7):
            raise Wrong("batch_to_moving_ratio changed the model's weights or moving statistics: restore them")


def test_diagnose_batch_to_moving_ratio(inputs, answers):
    ratios = answers["ratios"]
    if not isinstance(ratios, list) or not all(type(ratio) is float for ratio in ratios):
        raise Wrong("batch_to_moving_ratio should return a Python float")
    close("batch_to_moving_ratio on the fresh BatchNorm net and the net without", ratios, _fresh_ratios(), rtol=1e-3)
    after = answers["after"]  # the fresh BatchNorm layer's moving mean and variance after the call
    if not isinstance(after, list) or len(after) != 2:
        raise Wrong("the fresh net's moving statistics could not be read after batch_to_moving_ratio")
    mean, variance = as_array("moving mean", after[0]), as_array("moving variance", after[1])
    if not (np.allclose(mean, 0.0) and np.allclose(variance, 1.0)):
        raise Wrong("batch_to_moving_ratio changed the fresh net's moving statistics: restore them")


def _fresh_ratios() -> list[float]:
    """The visible test's nets: features f = x W, BatchNorm (γ 1, β 0, ε 1e-3) fresh, then the output kernel."""
    x = np.array([[1.0, 2.0, 0.5], [3.0, -1.0, 2.0], [0.0, 4.0, 1.0], [2.0, 2.0, -2.0], [5.0, 0.0, 1.0]])
    features = x @ np.array([[1.0, 0.5], [0.0, 2.0], [1.0, -1.0]])
    kernel = np.array([1.0, -3.0])
    batch = (features - features.mean(axis=0)) / np.sqrt(features.var(axis=0) + 1e-3) @ kernel
    moving = features / np.sqrt(1 + 1e-3) @ kernel
    return [float(np.std(batch) / np.std(moving)), 1.0]


def test_diagnose_batch_to_moving_ratio_hidden(inputs, answers):
    from dlclinic.batchnorm_regression.diagnosis import batch_to_moving_ratio

    own_function(answers, "function")
    _kept_statistics(inputs, answers)
    net = _probe_net(inputs["probe_weights"])
    images = inputs["probe_images"]
    expected = batch_to_moving_ratio(net, images, batch_size=len(images))
    close("batch_to_moving_ratio on the grader's BatchNorm net", python_float(answers, "ratio"), expected, rtol=1e-3)


# --- the patients ---


def test_patient_diagnosis(inputs, answers):
    diagnoses = answers["diagnoses"]
    if not isinstance(diagnoses, dict):
        raise Wrong(f"diagnoses should be a dict; it was {answers.types['diagnoses']}")
    right, wrong = 0, []
    for name, (fault, value) in PATIENTS.items():
        given = diagnoses.get(name)
        ok = isinstance(given, tuple | list) and len(given) == 2 and given[0] == fault
        ok = ok and type(given[1]) is float and abs(given[1] - value) <= VALUE_RTOL * abs(value) + 1e-3
        right += ok  # a right name with a wrong value earns nothing
        wrong += [] if ok else [name]
    points = 4 * right
    return points, f"wrong: {', '.join(wrong)} (the fault and the measured value that proves it)" if wrong else ""


def test_patient_treatment(inputs, answers):
    from dlclinic.backend import keras

    weights = answers["weights"]
    patient = keras.models.load_model(HERE / f"{TREATED}.keras")
    original = [np.asarray(weight) for weight in patient.trainable_weights]
    if not isinstance(weights, list) or len(weights) != len(original):
        raise Wrong("treated is not the patient whose moving statistics were never updated")
    if not all(np.allclose(np.asarray(w, dtype=float), o, rtol=1e-6, atol=1e-7) for w, o in zip(weights, original,
                                                                                                  strict=True)):
        raise Wrong("treated is not that patient with its weights unchanged: re-estimate its statistics, train nothing")
    maps = inputs["_treat_maps"]
    score = _nmse(maps, as_array("treated's predictions on the grader's scenes", answers["predictions"], maps.shape))
    if not score < TREATED_BAR:
        raise Wrong(f"the treated patient's held-out NMSE {score:.3f} is not below {TREATED_BAR}")
    return None, f"held-out NMSE {score:.3f} (needed below {TREATED_BAR})"


# --- the training task ---


def test_train_density_model(inputs, answers):
    maps = inputs["_held_out_maps"]
    predictions = as_array("predict(images) on the grader's held-out scenes", answers["predictions"], maps.shape)
    perturbed = as_array("predict(images) with noisy weights", answers["perturbed"], maps.shape)
    if answers["batchnorm"] is not True:
        raise Wrong("keep BatchNorm in the net")
    if np.allclose(predictions, perturbed, rtol=1e-4, atol=1e-7):
        raise Wrong("predict does not use the returned model: noise on its weights changed nothing")
    score = _nmse(maps, predictions)
    if not score < BAR:
        raise Wrong(f"held-out NMSE {score:.3f} is not below {BAR}")
    return None, f"held-out NMSE {score:.3f} (needed below {BAR})"

"""Assignment 2's checks: references, comparisons and bars, run by the grader outside the sandbox.

Never released and never in a sandbox (``nbgrader_config.py`` ignores ``checks.py``); each hidden test cell of
``02-pose-heatmaps.ipynb`` hands its answers out and the function named by its grade id scores them
(``dlclinic.grading.outside``; ``solutions/README.md``). The points are the cells' nbgrader points.
"""

from __future__ import annotations

import numpy as np

from dlclinic.grading.outside import Wrong, as_array, close, own_function
from dlclinic.pose_heatmaps import heatmaps as reference
from dlclinic.pose_heatmaps.baselines import MeanPoseBaseline
from dlclinic.pose_heatmaps.data import make_poses
from dlclinic.pose_heatmaps.metrics import pck as reference_pck

# The learner writes these; the sandbox's dlclinic raises "write this yourself" for each.
GRADED = [
    "dlclinic.pose_heatmaps.diagnosis.resolved_accuracy",
    "dlclinic.pose_heatmaps.diagnosis.head_mean_logit",
    "dlclinic.pose_heatmaps.heatmaps.gaussian_heatmaps",
    "dlclinic.pose_heatmaps.heatmaps.decode_keypoints",
    "dlclinic.pose_heatmaps.heatmaps.soft_argmax",
    "dlclinic.pose_heatmaps.metrics.pck",
]

# The patients' diagnoses (instructor_patients.py prints them): the fault from the notebook's closed list and the
# value, measured on the notebook's task_val figures, that proves it; with the tolerance on that value.
PATIENTS = {
    # the mean head logit in training mode (β's mean; in inference mode, the moving statistics', -0.12827: wrong)
    "patient_a": ("bn_head", -0.1264791190624237, 5e-4),
    "patient_b": ("swapped_xy", 0.41953125, 0.01),  # PCK@0.2 of its keypoints read as (y, x)
    "patient_c": ("accuracy_metric", 0.45859375, 0.01),  # PCK@0.2: it learnt, whatever its 'accuracy' says
    "patient_d": ("constant_maps", 0.0, 1e-6),  # largest spread of a decoded keypoint over the figures (px)
}
POINTS_PER_PATIENT = 3
# Held-out PCK@0.2 of the treatment (instructor_bar.py, on three draws of the grader's figures): the learning-free
# predictors score 0.334-0.353 (the mean pose moved onto each figure, the strongest), 0.190-0.211 (the mean pose,
# fixed) and 0.048-0.052 (the image centre); the solution 0.820-0.838 over seeds 0-2. The bar sits above the
# strongest by more than a third of the gap to the solution's worst seed (at least 0.509) and well below that seed.
BAR = 0.6
ACCURACY_KINDS = {  # kind of model and targets -> the accuracy Keras 3 builds for metrics=["accuracy"]
    "sparse": "SparseCategoricalAccuracy",
    "one_hot": "CategoricalAccuracy",
    "multi_label": "CategoricalAccuracy",
    "one_output": "BinaryAccuracy",
    "maps": "CategoricalAccuracy",
}


def _accuracy_case(rng: np.random.Generator, kind: str) -> dict:
    n, units = int(rng.integers(8, 16)), int(rng.integers(3, 7))
    if kind == "maps":
        x = rng.uniform(size=(n, int(rng.integers(4, 9)), int(rng.integers(4, 9)), 2)).astype("float32")
        y = (rng.uniform(size=(*x.shape[:3], units)) < 0.1).astype("float32")
    else:
        x = rng.normal(size=(n, int(rng.integers(3, 9)))).astype("float32")
        y = {"sparse": rng.integers(0, units, size=n),
             "one_hot": np.eye(units, dtype="float32")[rng.integers(0, units, size=n)],
             "multi_label": (rng.uniform(size=(n, units)) < 0.3).astype("float32"),
             "one_output": (rng.uniform(size=(n, 1)) < 0.5).astype("float32")}[kind]
    return {"kind": kind, "units": 1 if kind == "one_output" else units, "x": x, "y": y,
            "seed": int(rng.integers(1 << 20))}


def _bn_head(rng: np.random.Generator, kind: str) -> dict:
    channels = int(rng.integers(3, 7))
    x = (rng.normal(loc=1.0, size=(int(rng.integers(12, 24)), int(rng.integers(4, 10))))
         if kind == "dense" else rng.uniform(size=(int(rng.integers(2, 5)), int(rng.integers(4, 8)),
                                                    int(rng.integers(4, 8)), 1)))
    return {"kind": kind, "channels": channels, "x": x.astype("float32"), "seed": int(rng.integers(1 << 20)),
            "epsilon": float(rng.choice([1e-3, 0.1])), "gamma": rng.uniform(0.5, 3.0, size=channels),
            "beta": rng.normal(scale=2.5, size=channels), "moving_mean": rng.normal(scale=2.0, size=channels),
            "moving_variance": rng.uniform(0.5, 4.0, size=channels)}


def inputs(rng: np.random.Generator) -> dict:
    """The grader's inputs; keys starting with ``_`` (expected answers, held-out keypoints) stay outside."""
    kinds = list(ACCURACY_KINDS)
    rng.shuffle(kinds)
    accuracy_cases = [_accuracy_case(rng, kind) for kind in kinds]
    sides = rng.permutation([int(rng.integers(8, 14)), int(rng.integers(14, 20))])  # never square: H and W differ
    maps = rng.uniform(size=(3, *sides, int(rng.integers(2, 6))))
    maps[1] = np.round(maps[1] * 2) / 2  # ties: the first maximum, as NumPy's argmax, is the answer
    truth = rng.uniform(0, 64, size=(30, 16, 2))
    pred, torso = truth + rng.normal(scale=4.0, size=truth.shape), rng.uniform(10, 25, size=30)
    truth[:5], torso[:5] = np.round(truth[:5]), 10.0
    pred[:5, :6] = truth[:5, :6] + [3.0, 4.0]  # errors of exactly 5 px, 0.5 torsos: "at most" counts them
    held_out = make_poses(200, size=32, seed=int(rng.integers(1 << 30)))
    return {
        "accuracy_cases": accuracy_cases,
        "_accuracy_expected": [ACCURACY_KINDS[case["kind"]] for case in accuracy_cases],
        "bn_heads": [_bn_head(rng, "dense"), _bn_head(rng, "conv")],
        "heatmap_cases": [{"points": rng.uniform(0, 30, size=(int(rng.integers(1, 6)), 2)),
                           "height": int(rng.integers(20, 34)), "width": int(rng.integers(20, 34)),
                           "sigma": float(rng.uniform(0.8, 4.0))} for _ in range(3)],
        "decode_maps": list(maps),
        "pck_case": {"pred": pred, "true": truth, "torso": torso, "thresholds": [0.05, 0.1, 0.2, 0.5]},
        "soft_argmax_logits": rng.normal(scale=2.0, size=(2, 3, 12, 10, 4)).astype("float32"),
        "held_out_images": held_out.images,
        "_held_out_keypoints": held_out.keypoints,
        "_held_out_torso": held_out.torso,
    }


def test_diagnose_resolved_accuracy(inputs, answers):
    own_function(answers, "function")
    names, expected = answers["names"], inputs["_accuracy_expected"]
    if not isinstance(names, list) or len(names) != len(expected) or not all(type(n) is str for n in names):
        raise Wrong("resolved_accuracy should return the metric's class name as a str for each model")
    right = sum(got == want for got, want in zip(names, expected, strict=True))
    unchanged = all(len(before) == len(after) and all(np.array_equal(np.asarray(b), np.asarray(a))
                                                      for b, a in zip(before, after, strict=True))
                    for before, after in zip(answers["before"], answers["after"], strict=True))
    points = 3 * (right == len(expected)) + unchanged
    notes = ([] if right == len(expected) else [f"wrong class for {len(expected) - right} of {len(expected)} "
                                                "models (Keras 3 decides from the shapes, not from the loss)"])
    notes += [] if unchanged else ["the weights changed: measure with evaluate, which changes none"]
    return points, "; ".join(notes)


def test_diagnose_head_mean_logit(inputs, answers):
    own_function(answers, "function")
    heads, results = inputs["bn_heads"], answers["logits"]
    if not isinstance(results, list) or len(results) != len(heads):
        raise Wrong("head_mean_logit should return one array per model")
    values = all(np.allclose(as_array("head_mean_logit", got, (head["channels"],)), head["beta"], atol=1e-3)
                 for got, head in zip(results, heads, strict=True))
    kept = all(np.allclose(np.asarray(after, dtype=float),
                           [head["gamma"], head["beta"], head["moving_mean"], head["moving_variance"]], rtol=1e-6)
               for after, head in zip(answers["bn_after"], heads, strict=True))
    notes = ([] if values else ["the mean logit in training mode is not right on the grader's heads"])
    notes += [] if kept else ["the BatchNorm's moving statistics (or γ, β) changed: put them back"]
    return 3 * values + kept, "; ".join(notes)


def test_gaussian_heatmaps(inputs, answers):
    own_function(answers, "function")
    for index, (case, got) in enumerate(zip(inputs["heatmap_cases"], answers["maps"], strict=True)):
        close(f"gaussian_heatmaps on the grader's case {index + 1}", got,
              reference.gaussian_heatmaps(case["points"], case["height"], case["width"], case["sigma"]), atol=1e-6)


def test_decode_keypoints(inputs, answers):
    own_function(answers, "function")
    for index, (maps, got) in enumerate(zip(inputs["decode_maps"], answers["keypoints"], strict=True)):
        close(f"decode_keypoints on the grader's maps {index + 1}", got, reference.decode_keypoints(maps))


def test_pck(inputs, answers):
    own_function(answers, "function")
    case, scores = inputs["pck_case"], answers["scores"]
    if not isinstance(scores, list) or not all(type(score) is float for score in scores):
        raise Wrong("pck should return a Python float")
    expected = [reference_pck(case["pred"], case["true"], a, case["torso"]) for a in case["thresholds"]]
    close("pck at the grader's thresholds, with per-figure normalizers", scores, expected)
    close("pck with one normalizer", answers["one_normalizer"],
          reference_pck(case["pred"], case["true"], 0.2, 15.0))


def test_soft_argmax(inputs, answers):
    own_function(answers, "function")
    logits = inputs["soft_argmax_logits"]
    close("soft_argmax on the grader's (2, 3, 12, 10, 4) logits", answers["points"],
          np.asarray(reference.soft_argmax(logits)), rtol=1e-4, atol=1e-4)
    gradient = as_array("the gradient through soft_argmax", answers["gradient"], logits.shape[1:])
    if not np.abs(gradient).sum() > 0:
        raise Wrong("soft_argmax must be differentiable: write it with keras.ops")


def test_patient_diagnosis(inputs, answers):
    diagnoses = answers["diagnoses"]
    if not isinstance(diagnoses, dict):
        raise Wrong(f"diagnoses should be a dict; it was {answers.types['diagnoses']}")
    right, wrong = 0, []
    for name, (fault, value, tolerance) in PATIENTS.items():
        given = diagnoses.get(name)
        ok = isinstance(given, tuple | list) and len(given) == 2 and given[0] == fault
        ok = ok and type(given[1]) is float and abs(given[1] - value) <= tolerance  # a guessed name earns nothing
        right += ok
        wrong += [] if ok else [name]
    return POINTS_PER_PATIENT * right, (f"wrong: {', '.join(wrong)} (the fault and the measured value that proves "
                                        "it)" if wrong else "")


def test_train_pose_model(inputs, answers):
    truth, torso = inputs["_held_out_keypoints"], inputs["_held_out_torso"]
    points = as_array("predict(images) on the grader's held-out figures", answers["keypoints"], truth.shape)
    noisy = as_array("predict(images) with noisy weights", answers["perturbed"], truth.shape)
    if np.allclose(points, noisy, atol=1e-6):
        raise Wrong("predict does not use the trained model: noise on its weights changed nothing")
    layers = [name for name in answers["layers"] if name != "Activation"]
    if not layers or layers[-1] == "BatchNormalization":
        raise Wrong("the treated net's head must not end in BatchNorm (+ activation)")
    score = reference_pck(points, truth, 0.2, torso)
    if score < BAR:
        raise Wrong(f"held-out PCK@0.2 {score:.3f} is below {BAR}")
    return None, f"held-out PCK@0.2 {score:.3f} (needed {BAR})"


def mean_pose_score(held_out_images: np.ndarray, truth: np.ndarray, torso: np.ndarray) -> float:
    """What the strongest learning-free predictor scores on held-out figures (for the instructor's bar)."""
    train = make_poses(512, size=32, seed=20)
    guess = MeanPoseBaseline().fit(train.images, train.keypoints).predict(held_out_images)
    return reference_pck(guess, truth, 0.2, torso)

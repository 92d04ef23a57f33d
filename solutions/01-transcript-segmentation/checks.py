"""Assignment 1's checks: the grader's inputs, its references and one check per autograded test cell.

Never released, never in a grading sandbox (``nbgrader_config.py`` ignores it); ``solutions/README.md`` says
how checks work. The patients' faults are the only fixed answers here; their values are measured from the
released checkpoints when the assignment is graded (:func:`measure`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from nltk.metrics import segmentation as nltk_segmentation
from sklearn.metrics import average_precision_score
from sklearn.utils.class_weight import compute_class_weight

from dlclinic.grading.outside import Wrong, as_array, close, own_function, python_float

HERE = Path(__file__).resolve().parent
PACKAGE = "dlclinic.transcript_segmentation"
GRADED = [f"{PACKAGE}.diagnosis.flip_weight", f"{PACKAGE}.treatments.class_weights",
          f"{PACKAGE}.treatments.output_bias_init", f"{PACKAGE}.treatments.best_threshold",
          f"{PACKAGE}.metrics.pk", f"{PACKAGE}.metrics.windowdiff",
          f"{PACKAGE}.decoding.best_peak_cut"]  # best_threshold over the peaks: a reference answer too
SEED, CUE_RATE = 10, 0.5  # the assignment's lectures: prepare(200, 50, 50, seed=10), with cue phrases at 0.5
PATIENTS = {"patient_a": "no signal in the sentence", "patient_b": "not converged",
            "patient_c": "clumped boundaries", "patient_d": "weighted past the flip", "patient_e": "healthy"}
VALUE_OF = {"no signal in the sentence": "pr_auc", "not converged": "mean_score",
            "weighted past the flip": "share_marked", "clumped boundaries": "clumped_share", "healthy": "pk"}
TOLERANCE = 0.01  # a measured value within this of the grader's counts
HELD_OUT = 60  # lectures the trained segmenter is judged on, drawn at grading time on the test topics
# The bar: the PR-AUC of the learner's scores above the cosine gap's on the same held-out lectures by more than
# BAR_MARGIN. Measured on four draws of held-out lectures: the cosine gap (window 5, picked on validation) 0.27 to
# 0.31, the solution over seeds 0-2 0.36 to 0.43 (its gain 0.08 to 0.12, 0.11 on average): the margin is above a
# third of that gain and below the smallest gain. Pk of the boundaries at most PK_SLACK above the peak-picked
# cosine gap's (the case: learning does not beat the gap on Pk; the solution was 0.03 above it at worst).
BAR_MARGIN = 0.04
PK_SLACK = 0.05


def _string(labels) -> str:
    return "".join(str(int(v)) for v in labels)


# ---------------------------------------------------------------------------------------------- the inputs
def inputs(rng: np.random.Generator) -> dict:
    from dlclinic.transcript_segmentation.experiment import held_out

    flip_scores = [np.round(rng.beta(0.6, 3.0, int(rng.integers(3, 300))), int(rng.integers(1, 4)))
                   for _ in range(40)]
    flip_rates = rng.uniform(0.02, 0.6, len(flip_scores))
    n = 3000
    fresh = []
    for rate, signal in ((0.1, 0.3), (0.2, 1.5)):  # a weak and a strong scorer, trained in the hidden cell
        y = (rng.random(n) < rate).astype("float32")
        x = (rng.normal(size=(n, 8)) + signal * y[:, None] * np.linspace(1, 0, 8)).astype("float32")
        fresh.append({"x": x, "y": y, "seed": int(rng.integers(1000))})
    sequences = []
    for _ in range(150):
        length = int(rng.integers(5, 80))
        ref = (rng.random(length) < rng.uniform(0.03, 0.4)).astype(int)
        hyp = (rng.random(length) < rng.uniform(0.0, 0.5)).astype(int)
        sequences.append({"ref": ref, "hyp": hyp, "k": int(rng.integers(1, length + 1))})
    thresholds = []
    for _ in range(15):
        y = (rng.random(300) < 0.1).astype(int)
        y[0] = 1
        thresholds.append({"y": y, "s": np.clip(0.1 + 0.15 * y + rng.normal(0, 0.1, 300), 0, 1).round(3)})
    lectures = held_out(HELD_OUT, seed=SEED, lecture_seed=int(rng.integers(10_000, 2**31)))
    return {
        "flip": {"scores": flip_scores, "rates": flip_rates}, "fresh_models": fresh,
        "labels": [(rng.random(500) < rate).astype(int) for rate in (0.03, 0.1, 0.5, 0.8)],
        "sequences": sequences, "thresholds": thresholds,
        "held_out": lectures.embeddings, "_held_out_labels": lectures.labels,
        "small_task_seed": int(rng.integers(11, 10_000)),
    }


# ------------------------------------------------------------------------------------ 1. the flip weight
def _flip(scores, rate) -> float:
    scores = np.asarray(scores, dtype=float)
    t = max(c for c in np.unique(scores) if np.mean(scores >= c) >= rate)
    return math.inf if t == 0 else float((1 - t) / t)


def _weights(answers, name: str) -> list[float]:
    values = answers[name]
    if not isinstance(values, list) or not all(isinstance(v, float) and type(v) is float for v in values):
        raise Wrong("flip_weight should return a Python float")
    return values


def test_diagnose_flip_weight(inputs, answers):
    own_function(answers, "function")
    close("flip_weight on eight scores with a tie, at base rates 0.3 and 0.5", _weights(answers, "visible"),
          [0.7 / 0.3, 4.0])


def test_diagnose_flip_weight_hidden(inputs, answers):
    flip = inputs["flip"]
    expected = [_flip(s, r) for s, r in zip(flip["scores"], flip["rates"], strict=True)]
    close("flip_weight on the grader's scores (ties included)", _weights(answers, "weights"), expected)
    close("flip_weight of scores saturated at 0 and at 1", _weights(answers, "saturated"), [math.inf, 0.0])


def test_diagnose_flip_weight_errors(inputs, answers):
    missed = [what for what, raised in answers["raised"].items() if not raised]
    if missed:
        raise Wrong(f"flip_weight should raise ValueError for: {', '.join(missed)}")


def test_diagnose_flip_weight_models(inputs, answers):
    for index, (model, data) in enumerate(zip(answers["models"], inputs["fresh_models"], strict=True)):
        scores = as_array(f"the scores of model {index}", model["scores"], (1000,))
        if type(model["weight"]) is not float:
            raise Wrong("flip_weight should return a Python float")
        close(f"flip_weight of a model trained in the grader's cell ({index})", model["weight"],
              _flip(scores, float(np.mean(data["y"][:2000]))), rtol=1e-6)


# --------------------------------------------------------------------------------------- 2.-6. formulas
def test_class_weights(inputs, answers):
    own_function(answers, "function")
    close("class_weights([0, 0, 0, 1])", answers["visible"], [4 / 6, 2.0])


def test_class_weights_hidden(inputs, answers):
    got = answers["weights"]
    expected = [compute_class_weight("balanced", classes=np.array([0, 1]), y=y) for y in inputs["labels"]]
    close("class_weights on the grader's labels", got, expected)


def test_output_bias_init(inputs, answers):
    own_function(answers, "function")
    python_float(answers, "visible")
    close("output_bias_init(nine 0s, one 1)", answers["visible"], math.log(1 / 9))


def test_output_bias_init_hidden(inputs, answers):
    if not all(type(v) is float for v in answers["biases"]):
        raise Wrong("output_bias_init should return a Python float")
    close("output_bias_init on the grader's labels", answers["biases"],
          [math.log(y.sum() / (y.size - y.sum())) for y in inputs["labels"]])


def test_pk(inputs, answers):
    own_function(answers, "function")
    close("pk on nltk's examples and the default k", answers["visible"],
          [199 / 399, 0.0, nltk_segmentation.pk("000100000010", "000010000100")])


def test_pk_hidden(inputs, answers):
    cases = inputs["sequences"]
    close("pk with the default k", answers["default"], [nltk_segmentation.pk(_string(c["ref"]), _string(c["hyp"]))
                                                          for c in cases])
    close("pk with a given k", answers["given"], [nltk_segmentation.pk(_string(c["ref"]), _string(c["hyp"]), c["k"])
                                                  for c in cases])
    if not all(type(v) is float for v in answers["default"]):
        raise Wrong("pk should return a Python float")


def test_windowdiff(inputs, answers):
    own_function(answers, "function")
    close("windowdiff on nltk's examples", answers["visible"], [0.3, 0.8, 0.5])


def test_windowdiff_hidden(inputs, answers):
    cases = inputs["sequences"]
    close("windowdiff with a given k", answers["given"],
          [nltk_segmentation.windowdiff(_string(c["ref"]), _string(c["hyp"]), c["k"]) for c in cases])
    defaults = [int(round(len(c["ref"]) / (max(c["ref"].sum(), 1) * 2.0))) for c in cases]
    close("windowdiff with k=None (pk's default window)", answers["default"],
          [nltk_segmentation.windowdiff(_string(c["ref"]), _string(c["hyp"]), k) for c, k in zip(cases, defaults,
                                                                                                  strict=True)])


def _f1(y, predicted) -> float:
    hits = int((y & predicted).sum())
    return 2 * hits / (predicted.sum() + y.sum()) if hits else 0.0


def test_best_threshold(inputs, answers):
    own_function(answers, "function")
    y, s = np.array([0, 0, 1, 1, 0, 1, 0, 0]), np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.05, 0.3])
    close("F1 at best_threshold on the visible example", _f1(y, (s >= answers["visible"]).astype(int)), 6 / 7)


def test_best_threshold_hidden(inputs, answers):
    for index, (case, t) in enumerate(zip(inputs["thresholds"], answers["thresholds"], strict=True)):
        y, s = case["y"], case["s"]
        best = max(_f1(y, (s >= c).astype(int)) for c in np.unique(s))
        close(f"F1 at best_threshold on the grader's case {index}", _f1(y, (s >= t).astype(int)), best)


# ---------------------------------------------------------------------------------------- 7. the patients
def _load(name: str):
    from dlclinic.backend import keras

    with open(HERE / f"{name}.json", encoding="utf-8") as handle:
        card = json.load(handle)
    return keras.models.load_model(HERE / f"{name}.keras"), card


def measure(name: str, val) -> dict[str, float]:
    """Every value the closed list asks for, measured on patient ``name`` and its validation lectures."""
    from dlclinic.transcript_segmentation.decoding import peak_mask
    from dlclinic.transcript_segmentation.features import gap_profile
    from dlclinic.transcript_segmentation.metrics import pk

    model, card = _load(name)
    reads = card["reads"]
    x = np.vstack([gap_profile(e) if reads == "gap_profile" else e for e in val.embeddings])
    flat = model.predict(x, batch_size=4096, verbose=0)[:, 0].astype(float)
    scores = np.split(flat, np.cumsum([len(y) for y in val.labels])[:-1])
    cut, peaks = card["decoding"]["cut"], card["decoding"]["peak_picking"]
    marks = [((s >= cut) & (peak_mask(s) if peaks else True)).astype(int) for s in scores]
    flat_marks = np.concatenate(marks)
    beside_a_mark = np.concatenate([np.r_[False, m[:-1] == 1] | np.r_[m[1:] == 1, False] for m in marks])
    return {"pr_auc": float(average_precision_score(val.y, flat)), "mean_score": float(flat.mean()),
            "share_marked": float(flat_marks.mean()),
            "clumped_share": float(beside_a_mark[flat_marks == 1].mean()) if flat_marks.any() else 0.0,
            "pk": float(np.mean([pk(y, m) for y, m in zip(val.labels, marks, strict=True)]))}


def test_patient_diagnosis(inputs, answers):
    from dlclinic.transcript_segmentation.experiment import prepare

    diagnoses = answers["diagnoses"]
    if not isinstance(diagnoses, dict):
        raise Wrong(f"diagnoses should be a dict; it was {answers.types['diagnoses']}")
    bundles, right, wrong = {}, 0, []
    for name, fault in PATIENTS.items():
        given = diagnoses.get(name)
        ok = isinstance(given, tuple | list) and len(given) == 2 and given[0] == fault and type(given[1]) is float
        if ok:  # a guessed name earns nothing without the value that proves it
            card = _load(name)[1]
            cued = card["lectures"] != "plain"
            if cued not in bundles:
                bundles[cued] = prepare(200, 50, 50, seed=SEED, cue_rate=CUE_RATE if cued else 0.0)["val"]
            ok = abs(given[1] - measure(name, bundles[cued])[VALUE_OF[fault]]) <= TOLERANCE
        right += ok
        wrong += [] if ok else [name]
    points = 3 * right
    return points, f"wrong: {', '.join(wrong)} (the fault and the value that proves it)" if wrong else ""


# -------------------------------------------------------------------------------- 8. the treated patient
def _cosine_gap_on(embeddings, labels) -> dict[str, float]:
    """The strongest segmenter that learns nothing, on lectures ``embeddings`` with ``labels``: the cosine gap at
    the window whose PR-AUC is best on the assignment's validation lectures (its PR-AUC), and decoded as the case
    decodes it, peak-picked and cut where F1 is best on those lectures (its Pk)."""
    from dlclinic.transcript_segmentation.decoding import decode
    from dlclinic.transcript_segmentation.experiment import GAP_WINDOWS, prepare
    from dlclinic.transcript_segmentation.features import cosine_gap_scores

    val = prepare(200, 50, 50, seed=SEED)["val"]

    def scores(lectures, window):
        return [cosine_gap_scores(e, window) for e in lectures]

    window = max(GAP_WINDOWS, key=lambda w: average_precision_score(val.y, np.concatenate(scores(val.embeddings, w))))
    found = decode(val.labels, scores(val.embeddings, window), labels, scores(embeddings, window), "peaks").metrics
    return {"pr_auc": found["pr_auc"], "pk": found["pk"], "window": window}


def test_train_segmenter(inputs, answers):
    from dlclinic.transcript_segmentation.metrics import segmentation_scores

    labels = inputs["_held_out_labels"]
    if answers["reads_task"]:
        raise Wrong("train_segmenter reads the notebook's task: it must learn from its train and val arguments only")
    for name in ("scores", "labels", "perturbed"):
        if not isinstance(answers[name], list) or len(answers[name]) != len(labels):
            raise Wrong(f"segment{'.scores' if name != 'labels' else ''} should return one array per lecture")
    def arrays(name: str, what: str) -> list[np.ndarray]:
        return [as_array(f"lecture {i}'s {what}", value, y.shape)
                for i, (value, y) in enumerate(zip(answers[name], labels, strict=True))]

    scores, marks, perturbed = arrays("scores", "scores"), arrays("labels", "labels"), arrays("perturbed", "scores")
    marks = [m.astype(int) for m in marks]
    if np.allclose(np.concatenate(scores), np.concatenate(perturbed), atol=1e-4):
        raise Wrong("segment.scores does not use segment.model: noise on its weights changed nothing")
    pr_auc = float(average_precision_score(np.concatenate(labels), np.concatenate(scores)))
    pk = segmentation_scores(labels, marks)["pk"]
    control = _cosine_gap_on(inputs["held_out"], labels)
    bar, pk_bar = control["pr_auc"] + BAR_MARGIN, control["pk"] + PK_SLACK
    said = (f"held-out PR-AUC {pr_auc:.3f} (needed above {bar:.3f}: the cosine gap's, which learns nothing, "
            f"{control['pr_auc']:.3f}, plus {BAR_MARGIN}); Pk {pk:.3f} (needed below {pk_bar:.3f})")
    if pr_auc <= bar or pk >= pk_bar:
        raise Wrong(said)
    return None, said

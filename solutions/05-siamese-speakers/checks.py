"""Assignment 5's checks: references, comparisons and bars, run by the grader outside the sandbox.

Never released and never in a sandbox (``nbgrader_config.py`` ignores ``checks.py``); each hidden test cell of
``05-siamese-speakers.ipynb`` hands its answers out and the function named by its grade id scores them
(``dlclinic.grading.outside``; ``solutions/README.md``). The points are the cells' nbgrader points.
"""

from __future__ import annotations

import numpy as np

from dlclinic.grading.outside import Wrong, as_array, close, own_function, python_float

# The learner writes these; the sandbox's dlclinic raises "write this yourself" for each.
GRADED = [
    "dlclinic.siamese_speakers.diagnosis.negative_pair_fraction",
    "dlclinic.siamese_speakers.diagnosis.past_margin_fraction",
    "dlclinic.siamese_speakers.losses.kl_divergence",
    "dlclinic.siamese_speakers.metrics.equal_error_rate",
    "dlclinic.siamese_speakers.metrics.misclassification_rate",
]

# The patients' diagnoses (instructor_patients.py prints them): the condition from the notebook's closed list and
# the value measured on its probe utterances that proves it. Tolerances: absolute for an EER or a fraction (a
# learner's float32 distances may tie or order a pair differently), relative for the collapsed patient's largest
# distance (a value near 0).
PATIENTS = {
    "patient_a": ("healthy", 0.0625),
    "patient_b": ("clipped outputs", 0.9248046875),
    "patient_c": ("learned nothing", 0.5122767857142858),
    "patient_d": ("collapsed embeddings", 0.008440251782964665),
}
PATIENT_TOLERANCE = {"learned nothing": 0.005, "collapsed embeddings": 0.2, "clipped outputs": 0.005,
                     "healthy": 0.005}
PATIENT_POINTS = 16  # the nbgrader points of test_patient_diagnosis, shared equally by the patients
# Held-out EER the treatment must beat. Measured on four held-out draws (10 speakers x 8 utterances): the strongest
# learning-free baseline, the standardised mean log-mel spectrum with a cosine distance, 0.318-0.336 (mean 0.327;
# the plain mean spectrum 0.358-0.392, a constant 0.5); the solution, seeds 0-2, 0.100-0.199 (mean 0.152). The bar
# sits 0.077 below the baseline, 44 % of the gap to the solution (at least a third is required).
BAR = 0.25
HELD_OUT = (10, 8)  # speakers, utterances each: make_corpus(*HELD_OUT, seed=held_out_seed)


def _kl(p: np.ndarray, q: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    return np.sum(p * np.log((p + eps) / (q + eps)), axis=-1)


def inputs(rng: np.random.Generator) -> dict:
    """The grader's inputs; drawn afresh for each grading run."""
    pairs = []
    for n, d in [(40, 7), (25, 3), (60, 16)]:
        p, q = rng.gamma(2.0, 0.3, (n, d)), rng.gamma(2.0, 0.3, (n, d))
        q[:3] = p[:3]  # KL exactly 0: not negative
        pairs.append((p, q))
    clipped = np.clip(rng.normal(0.2, 0.4, (60, 8)), 1e-7, 1.0)  # the report's clipped PReLU outputs
    pairs.append((clipped[:30], clipped[30:]))
    p, q = pairs[0]
    bad = [(p, q[:, :-1]), (p, np.where(q > 0.6, 0.0, q)), (p, np.where(q > 0.6, -q, q))]
    pmf_distance = rng.gamma(2.0, 0.6, 200)
    margins = [0.5, float(np.median(pmf_distance)), 2.0]
    pmf_distance[:10] = 2.0  # pairs exactly at a margin: past it
    kl_p, kl_q = rng.dirichlet(np.full(6, 0.5), size=8), rng.dirichlet(np.full(6, 0.5), size=8)
    kl_p[0], kl_q[1] = [1, 0, 0, 0, 0, 0], [0, 0.5, 0.5, 0, 0, 0]  # zero probabilities
    eer_same, eer_distance = [], []
    for scale, n in [(20.0, 600), (1.0, 300), (0.003, 400)]:  # KL-scale, unit-scale and tiny distances
        s = (rng.random(n) < 0.3).astype(float)
        eer_same.append(s)
        eer_distance.append(scale * np.abs(rng.normal(1.0 - 0.6 * s, 0.35)))
    truth, guess = [], []
    for speakers, clusters in [(5, 5), (4, 7), (8, 3)]:
        t = rng.integers(0, speakers, 120)
        truth.append(t)
        guess.append(np.where(rng.random(120) < 0.6, t * 3 + 11, rng.integers(0, clusters, 120)))
    return {
        "npf": {"pairs": pairs, "bad": bad},
        "pmf": {"same": (rng.random(200) < 0.4).astype(float), "distance": pmf_distance, "margins": margins},
        "kl": {"p": kl_p, "q": kl_q, "eps": 1e-3},
        "hinge": {"same": (rng.random(40) < 0.5).astype(float), "a": rng.dirichlet(np.full(5, 0.3), size=40),
                  "b": rng.dirichlet(np.full(5, 0.3), size=40), "margins": [0.5, 2.0, 3.0]},
        "eer": {"same": eer_same, "distance": eer_distance},
        "mr": {"truth": truth, "guess": guess},
        "held_out_seed": int(rng.integers(1_000, 2**31 - 1)),
    }


def _floats(answers, name: str, count: int) -> list[float]:
    values = answers[name]
    if not isinstance(values, list) or len(values) != count:
        raise Wrong(f"{name}: expected {count} answers")
    if not all(type(value) is float for value in values):
        raise Wrong(f"{name}: each answer should be a Python float")
    return values


def test_diagnose_negative_pair_fraction(inputs, answers):
    close("negative_pair_fraction on the five rows above", python_float(answers, "fraction"), 0.4)


def test_diagnose_negative_pair_fraction_hidden(inputs, answers):
    own_function(answers, "function")
    cases = inputs["npf"]
    got = _floats(answers, "fractions", len(cases["pairs"]))
    expected = [float(np.mean(np.sum(p * np.log(p / q), axis=1) < 0)) for p, q in cases["pairs"]]
    close("negative_pair_fraction on the grader's rows (sum each row, count rows below zero)", got, expected)
    if answers["refused"] != [True] * len(cases["bad"]):
        raise Wrong("negative_pair_fraction should raise ValueError for shapes that differ and for entries <= 0")


def test_diagnose_past_margin_fraction(inputs, answers):
    close("past_margin_fraction(margin=1)", python_float(answers, "at_1"), 0.75)
    close("past_margin_fraction(margin=2)", python_float(answers, "at_2"), 0.25)


def test_diagnose_past_margin_fraction_hidden(inputs, answers):
    own_function(answers, "function")
    cases = inputs["pmf"]
    got = _floats(answers, "fractions", len(cases["margins"]))
    different = cases["distance"][cases["same"] == 0]
    close("past_margin_fraction on the grader's pairs (different-speaker pairs at or past the margin)", got,
          [float(np.mean(different >= m)) for m in cases["margins"]])
    if answers["refused"] is not True:
        raise Wrong("past_margin_fraction should raise ValueError when same and distance differ in length")


def test_kl_divergence(inputs, answers):
    close("KL(p || q)", answers["pq"], 0.33808, rtol=1e-4)
    close("KL(q || p)", answers["qp"], 0.39233, rtol=1e-4)
    close("kl_divergence on 2 rows", answers["rows"], [1.16752, 1.16752], rtol=1e-4)
    zp = np.array([[0.6, 0.4, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0]])
    zq = np.array([[0.3, 0.0, 0.7, 0.0], [0.25, 0.25, 0.0, 0.5]])
    close("kl_divergence with zero probabilities", answers["zeros"], _kl(zp, zq), rtol=1e-4)


def test_kl_divergence_hidden(inputs, answers):
    own_function(answers, "function")
    p, q, eps = inputs["kl"]["p"], inputs["kl"]["q"], inputs["kl"]["eps"]
    close("kl_divergence on the grader's rows", answers["values"], _kl(p, q), rtol=1e-5, atol=1e-7)
    close(f"kl_divergence(eps={eps:g})", answers["with_eps"], _kl(p, q, eps), rtol=1e-5, atol=1e-7)
    close("kl_divergence on tensors", answers["tensors"], _kl(p, q), rtol=1e-4, atol=1e-5)


def test_symmetric_kl(inputs, answers):
    close("symmetric_kl(p, q)", answers["pq"], 0.73041, rtol=1e-4)
    close("symmetric_kl(q, p)", answers["qp"], 0.73041, rtol=1e-4)


def test_symmetric_kl_hidden(inputs, answers):
    own_function(answers, "function")
    p, q, eps = inputs["kl"]["p"], inputs["kl"]["q"], inputs["kl"]["eps"]
    close("symmetric_kl on the grader's rows", answers["values"], _kl(p, q) + _kl(q, p), rtol=1e-5, atol=1e-7)
    close(f"symmetric_kl(eps={eps:g})", answers["with_eps"], _kl(p, q, eps) + _kl(q, p, eps), rtol=1e-5, atol=1e-7)


def _hinge(same, a, b, margin):
    f, g = _kl(a, b), _kl(b, a)
    return same * (f + g) + (1 - same) * (np.maximum(0, margin - f) + np.maximum(0, margin - g))


def test_kl_hinge_loss(inputs, answers):
    close("kl_hinge_loss for a same-speaker pair", answers["same"], [2.33505], rtol=1e-4)
    close("kl_hinge_loss for a different-speaker pair", answers["different"], [1.66495], rtol=1e-4)
    lop_p, lop_q = np.array([[0.98, 0.01, 0.01], [0.7, 0.2, 0.1]]), np.array([[0.2, 0.4, 0.4], [0.1, 0.2, 0.7]])
    close("kl_hinge_loss with one direction past the margin (a hinge per direction)", answers["lopsided"],
          _hinge(np.zeros(2), lop_p, lop_q, 2.0), rtol=1e-4)


def test_kl_hinge_loss_hidden(inputs, answers):
    own_function(answers, "function")
    cases = inputs["hinge"]
    got = answers["losses"]
    if not isinstance(got, list) or len(got) != len(cases["margins"]):
        raise Wrong("kl_hinge_loss: expected one loss array per margin")
    for margin, losses in zip(cases["margins"], got, strict=True):
        close(f"kl_hinge_loss(margin={margin:g}) on the grader's pairs", losses,
              _hinge(cases["same"], cases["a"], cases["b"], margin), rtol=1e-5, atol=1e-6)


def _eer(same: np.ndarray, distance: np.ndarray) -> tuple[float, float]:
    from dlclinic.siamese_speakers.metrics import equal_error_rate

    return equal_error_rate(same, distance)


def _closest_gap(same: np.ndarray, distance: np.ndarray) -> float:
    """The smallest |FAR - FRR| over every observed distance as the threshold."""
    from dlclinic.siamese_speakers.metrics import error_rates

    _, far, frr = error_rates(same, distance)
    return float(np.min(np.abs(far - frr)))


def _eer_answer(what: str, result: object) -> tuple[float, float]:
    if not isinstance(result, tuple | list) or len(result) != 2 or not all(type(v) is float for v in result):
        raise Wrong(f"{what}: return (eer, threshold) as two Python floats")
    return result


def test_equal_error_rate(inputs, answers):
    eer, threshold = _eer_answer("equal_error_rate", answers["result"])
    close("EER of the six pairs above", eer, 1 / 3)
    close("threshold of the six pairs above (a pair at the threshold is accepted)", threshold, 0.3)
    close("EER and threshold of separable pairs", _eer_answer("equal_error_rate", answers["separable"]), (0.0, 0.2))


def test_equal_error_rate_hidden(inputs, answers):
    own_function(answers, "function")
    cases, results = inputs["eer"], answers["results"]
    if not isinstance(results, list) or len(results) != len(cases["same"]):
        raise Wrong("equal_error_rate: expected one (eer, threshold) per set of pairs")
    for k, (same, distance, result) in enumerate(zip(cases["same"], cases["distance"], results, strict=True)):
        eer, threshold = _eer_answer("equal_error_rate", result)
        scale = float(np.max(distance))
        expected, _ = _eer(same, distance)
        close(f"EER on the grader's pairs, set {k + 1} (distances up to {scale:.3g})", eer, expected, atol=1e-9)
        far, frr = np.mean(distance[same == 0] <= threshold), np.mean(distance[same == 1] > threshold)
        if abs(far - frr) > _closest_gap(same, distance) + 1e-9 or abs((far + frr) / 2 - eer) > 1e-9:
            raise Wrong(f"set {k + 1}: at your threshold FAR = {far:.3f} and FRR = {frr:.3f}; they should meet "
                        "as closely as any observed distance allows, at your EER")


def _mr(truth: np.ndarray, guess: np.ndarray) -> float:
    from dlclinic.siamese_speakers.metrics import misclassification_rate

    return misclassification_rate(truth, guess)


def test_misclassification_rate(inputs, answers):
    expected = [0.0, 0.5, 0.75, 0.75, 0.5]
    close("misclassification_rate on the five examples above", _floats(answers, "rates", len(expected)), expected)


def test_misclassification_rate_hidden(inputs, answers):
    own_function(answers, "function")
    cases = inputs["mr"]
    got = _floats(answers, "rates", len(cases["truth"]))
    close("misclassification_rate on the grader's clusterings", got,
          [_mr(t, g) for t, g in zip(cases["truth"], cases["guess"], strict=True)])


def test_patient_diagnosis(inputs, answers):
    diagnoses, right, wrong = answers["diagnoses"], 0, []
    if not isinstance(diagnoses, dict):
        raise Wrong(f"diagnoses should be a dict; it was {answers.types['diagnoses']}")
    for name, (condition, value) in PATIENTS.items():
        given = diagnoses.get(name)
        ok = isinstance(given, tuple | list) and len(given) == 2 and given[0] == condition and type(given[1]) is float
        tolerance = PATIENT_TOLERANCE[condition] * (abs(value) if condition == "collapsed embeddings" else 1.0)
        ok = ok and abs(given[1] - value) <= tolerance  # a guessed condition with a wrong value earns nothing
        right += ok
        wrong += [] if ok else [name]
    points = PATIENT_POINTS * right / len(PATIENTS)
    return points, f"wrong: {', '.join(wrong)} (the condition and the value that proves it)" if wrong else ""


def held_out_labels() -> np.ndarray:
    speakers, utterances = HELD_OUT
    return np.repeat(np.arange(speakers), utterances)


def test_train_siamese(inputs, answers):
    labels = held_out_labels()
    n = len(labels)
    distances = as_array("distance of every pair of held-out utterances", answers["distances"], (n, n))
    perturbed = as_array("the same with noise on the branch's weights", answers["perturbed"], (n, n))
    if not np.all(np.isfinite(distances)):
        raise Wrong("the held-out distances are not all finite")
    if np.allclose(distances, perturbed, atol=1e-6):
        raise Wrong("the distances do not come from the returned branch: noise on its weights changed nothing")
    symmetric = (distances + distances.T) / 2
    i, j = np.triu_indices(n, k=1)
    eer, _ = _eer((labels[i] == labels[j]).astype(float), symmetric[i, j])
    if eer >= BAR:
        raise Wrong(f"held-out EER {eer:.3f} is not below {BAR}")
    return None, f"held-out EER {eer:.3f} (needed: below {BAR})"

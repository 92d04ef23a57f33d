"""Unit tests for Case 5's package and the lesson's code on its page: the synthesiser, log-mel features, the
page's branch and losses, diagnosis, metrics, the trainer the differential runs, and the record's keys."""

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from dlclinic.differential import Differential, Fit, Metric
from dlclinic.metrics_json import read_metrics
from dlclinic.siamese_speakers import evidence as report
from dlclinic.siamese_speakers import losses as dv
from dlclinic.siamese_speakers.baselines import MeanLogMel
from dlclinic.siamese_speakers.data import N_SAMPLES, RATE, Speaker, make_corpus, speak
from dlclinic.siamese_speakers.diagnosis import negative_pair_fraction, past_margin_fraction
from dlclinic.siamese_speakers.experiment import (
    ALL_PAIRS,
    BOTH_ORDERS,
    EXTRA,
    FACTORIAL,
    REPORTER,
    STOP_GRADIENT,
    THREAD,
    Budget,
    Setup,
    Split,
    Trainer,
    factorial_reference,
    is_constant,
)
from dlclinic.siamese_speakers.features import BANDS, Standardiser, log_mel
from dlclinic.siamese_speakers.metrics import (
    cluster,
    clustering_scores,
    det_points,
    equal_error_rate,
    error_rates,
    min_dcf,
    misclassification_rate,
    verification_pairs,
)
from dlclinic.siamese_speakers.pairs import sample_pairs, utterance_batches

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "cases" / "05-siamese-speakers.ipynb"


def spectrum_peak(wave: np.ndarray, low: float, high: float) -> float:
    """Frequency (Hz) of the strongest component of ``wave`` between ``low`` and ``high``."""
    power = np.abs(np.fft.rfft(wave * np.hanning(len(wave)))) ** 2
    freqs = np.fft.rfftfreq(len(wave), 1 / RATE)
    band = (freqs >= low) & (freqs <= high)
    return float(freqs[band][np.argmax(power[band])])


class TestVoices:
    def test_a_seed_gives_the_same_corpus(self):
        a, b = make_corpus(3, 2, seed=4), make_corpus(3, 2, seed=4)
        assert a.waves.shape == (6, N_SAMPLES)
        np.testing.assert_array_equal(a.waves, b.waves)
        np.testing.assert_array_equal(a.labels, [0, 0, 1, 1, 2, 2])
        assert a.speakers == b.speakers
        assert not np.array_equal(a.waves, make_corpus(3, 2, seed=5).waves)
        assert np.all(np.isfinite(a.waves))

    def test_pitch_follows_the_speaker(self):
        rng = np.random.default_rng(0)
        low, high = Speaker(f0=100.0, tract=1.0, tilt=0.95), Speaker(f0=220.0, tract=1.0, tilt=0.95)
        # the strongest low-frequency component is the fundamental: within the ±6 % intonation contour
        assert spectrum_peak(speak(low, 1, rng)[0], 70, 160) == pytest.approx(100, rel=0.08)
        assert spectrum_peak(speak(high, 1, rng)[0], 160, 320) == pytest.approx(220, rel=0.08)

    def test_a_shorter_tract_raises_the_formants(self):
        rng = np.random.default_rng(1)
        mean_power = {}
        for tract in (0.85, 1.2):
            waves = speak(Speaker(f0=120.0, tract=tract, tilt=0.95), 8, rng)
            mean_power[tract] = np.mean(np.abs(np.fft.rfft(waves, axis=1)) ** 2, axis=0)
        freqs = np.fft.rfftfreq(N_SAMPLES, 1 / RATE)
        centroid = {t: float(np.sum(freqs * p) / np.sum(p)) for t, p in mean_power.items()}
        assert centroid[1.2] > 1.15 * centroid[0.85]

    def test_rejects_bad_sizes(self):
        with pytest.raises(ValueError, match="n_speakers must be a positive int"):
            make_corpus(0, 2, seed=0)


class TestFeatures:
    def test_log_mel_shape_and_values(self):
        corpus = make_corpus(2, 2, seed=0)
        features = log_mel(corpus.waves)
        assert features.shape == (4, 128, BANDS)
        assert np.all(np.isfinite(features))
        scaled = Standardiser().fit(features).transform(features)
        assert np.allclose(scaled.mean(axis=(0, 1)), 0, atol=1e-4)

    def test_log_mel_rejects_short_waves(self):
        with pytest.raises(ValueError, match="at least 512 samples"):
            log_mel(np.zeros((2, 100)))

    def test_baseline_ignores_loudness(self):
        features = log_mel(make_corpus(2, 3, seed=1).waves)
        baseline = MeanLogMel().fit(features)
        np.testing.assert_allclose(baseline.embed(features + 2.0), baseline.embed(features), atol=1e-4)
        distances = baseline.distances(baseline.embed(features))
        np.testing.assert_allclose(np.diag(distances), 0, atol=1e-9)


def page_functions() -> dict:
    """The lesson's functions as the page defines them (only their ``def`` statements are run, not the cells)."""
    from dlclinic.backend import keras

    namespace = {"keras": keras, "EPS": keras.config.epsilon(), "np": np}
    for cell in json.loads(PAGE.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code" or "%" in "".join(cell["source"]):  # IPython magics are not Python
            continue
        defs = [node for node in ast.parse("".join(cell["source"])).body if isinstance(node, ast.FunctionDef)]
        exec(compile(ast.Module(defs, type_ignores=[]), str(PAGE), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def page():
    return page_functions()


class TestDivergences:
    def test_worked_values(self):  # REFERENCES.md, Case 5
        p, q = np.array([0.8, 0.15, 0.05]), np.array([0.4, 0.4, 0.2])
        assert float(dv.kl_divergence(p, q)) == pytest.approx(0.338, abs=5e-4)
        assert float(dv.kl_divergence(q, p)) == pytest.approx(0.392, abs=5e-4)
        P, Q = np.array([[0.7, 0.2, 0.1]]), np.array([[0.1, 0.2, 0.7]])
        assert float(dv.kl_divergence(P, Q)[0]) == pytest.approx(1.1675, abs=1e-4)

    def test_the_pages_losses_worked_values(self, page):
        P, Q = np.array([[0.7, 0.2, 0.1]]), np.array([[0.1, 0.2, 0.7]])
        hsu_kira = FACTORIAL["softmax/symmetric/m2"]
        assert float(page["pair_loss"](np.array([1.0]), P, Q, hsu_kira)[0]) == pytest.approx(2.335, abs=1e-3)
        assert float(page["pair_loss"](np.array([0.0]), P, Q, hsu_kira)[0]) == pytest.approx(1.665, abs=1e-3)

    def test_one_way_symmetric_both_orders_and_the_thread(self, page):
        loss = page["pair_loss"]
        p, q = np.array([[0.98, 0.01, 0.01]]), np.array([[0.2, 0.4, 0.4]])
        f, b = float(dv.kl_divergence(p, q)[0]), float(dv.kl_divergence(q, p)[0])
        assert f < 2 < b  # one direction past the margin, the other not
        different = np.array([0.0])
        assert float(loss(different, p, q, FACTORIAL["softmax/one-way/m2"])[0]) == pytest.approx(2 - f, rel=1e-5)
        symmetric = float(loss(different, p, q, FACTORIAL["softmax/symmetric/m2"])[0])
        assert symmetric == pytest.approx(2 - f, rel=1e-5)  # a hinge per direction, not on the sum
        assert float(loss(different, p, q, THREAD)[0]) == pytest.approx(np.log1p(np.exp(2 - f - b)), rel=1e-5)
        rng = np.random.default_rng(4)
        a, c = rng.uniform(0.01, 2.0, (60, 5)), rng.uniform(0.01, 2.0, (60, 5))
        s = rng.integers(0, 2, 60).astype(float)
        both = np.asarray(loss(s, a, c, BOTH_ORDERS))
        one_way = FACTORIAL["softplus/one-way/m1"]
        halves = (np.asarray(loss(s, a, c, one_way)) + np.asarray(loss(s, c, a, one_way))) / 2
        np.testing.assert_allclose(both, halves, rtol=1e-6)  # the one-way loss in both orders
        np.testing.assert_allclose(both, np.asarray(loss(s, a, c, FACTORIAL["softplus/symmetric/m1"])) / 2, rtol=1e-6)

    def test_the_reporters_cell_is_the_reports_loss(self, page):
        rng = np.random.default_rng(5)
        p, q, s = rng.normal(0.3, 0.4, (40, 6)), rng.normal(0.3, 0.4, (40, 6)), rng.integers(0, 2, 40)
        ours = np.asarray(page["pair_loss"](s.astype(float), p, q, FACTORIAL[REPORTER]))
        theirs = np.asarray(page["kb_hinge_loss"](s[:, None], page["kullback_leibler_divergence"]([p, q])))[:, 0]
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)

    def test_stop_gradient_detaches_the_target(self, page):
        from dlclinic.backend import tf

        p, q = tf.Variable([[0.5, 0.3, 0.2]]), tf.Variable([[0.2, 0.3, 0.5]])
        one_way = Setup("softmax", "one-way", 1.0, stop_gradient=True)
        with tf.GradientTape(persistent=True) as tape:
            held = page["pair_loss"](tf.constant([1.0]), p, q, one_way)
            free = page["pair_loss"](tf.constant([1.0]), p, q, FACTORIAL["softmax/one-way/m1"])
        assert tape.gradient(held, p) is None and tape.gradient(held, q) is not None
        assert tape.gradient(free, p) is not None

    def test_all_pairs_loss_averages_every_ordered_pair(self, page):
        rng = np.random.default_rng(6)
        e, labels = rng.dirichlet(np.ones(4), 7), np.array([0, 0, 1, 1, 1, 2, 3])
        got = float(page["all_pairs_loss"](labels, e, ALL_PAIRS))
        pairs = [(i, j) for i in range(7) for j in range(7) if i != j]
        each = [float(page["pair_loss"](np.array([float(labels[i] == labels[j])]), e[i : i + 1], e[j : j + 1],
                                        ALL_PAIRS)[0]) for i, j in pairs]
        assert got == pytest.approx(np.mean(each), rel=1e-5)

    def test_symmetric_kl_is_never_negative_for_positive_vectors(self):
        rng = np.random.default_rng(0)
        p, q = rng.gamma(1.0, 0.2, (500, 8)), rng.gamma(1.0, 0.2, (500, 8))  # not normalised
        assert np.all(np.sum((p - q) * np.log(p / q), axis=1) >= 0)
        assert negative_pair_fraction(p, q) > 0  # while the one-way sum often is negative
        assert float(np.min(np.asarray(dv.reporter_kl(p, q)))) >= -8 / np.e  # bounded below by -d/e

    def test_zeros_stay_finite_and_reporter_kl_goes_negative(self):
        assert np.isfinite(float(dv.kl_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0]))))
        # unnormalised vectors, as the report's clipped PReLU outputs: "KL" below zero
        assert float(dv.reporter_kl(np.array([0.3, 0.3]), np.array([1.0, 1.0]))) < 0

    def test_cosine_distance(self):
        a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])
        assert float(dv.cosine_distance(a, 3 * a)[0]) == pytest.approx(0.0, abs=1e-9)
        assert float(dv.cosine_distance(a, b)[0]) == pytest.approx(1.0)


class TestDiagnosis:
    def test_negative_pair_fraction(self):
        p = np.array([[0.2, 0.2, 0.2], [0.3, 0.5, 0.9], [1.0, 2.0, 0.5], [0.5, 0.5, 2.0]])
        q = np.array([[0.5, 0.5, 0.5], [0.3, 0.5, 0.9], [2.0, 2.0, 2.0], [0.4, 0.6, 1.0]])
        got = negative_pair_fraction(p, q)
        assert type(got) is float and got == pytest.approx(0.5)  # rows 0 and 2; a zero KL is not negative
        with pytest.raises(ValueError, match="same shape"):
            negative_pair_fraction(p, q[:3])
        with pytest.raises(ValueError, match="positive"):
            negative_pair_fraction(p, np.where(q > 1.5, 0.0, q))

    def test_past_margin_fraction(self):
        same = np.array([0, 0, 1, 0, 1, 0])
        distance = np.array([0.5, 1.0, 3.0, 1.7, 0.2, 2.5])
        assert past_margin_fraction(same, distance, 1.0) == pytest.approx(0.75)
        with pytest.raises(ValueError, match="different-speaker"):
            past_margin_fraction(np.ones(3), np.ones(3), 1.0)


class TestMetrics:
    @pytest.mark.parametrize(
        ("y_true", "y_pred", "expected"),
        [
            ([0, 0, 1, 1], [1, 1, 2, 2], 0.0),
            ([1, 1, 1, 1], [2, 2, 1, 1], 0.5),
            ([1, 1, 1, 1], [1, 2, 3, 4], 0.75),
            ([1, 2, 3, 4], [1, 1, 1, 1], 0.75),
            ([1, 2, 2, 4], [1, 1, 1, 1], 0.5),
        ],
    )
    def test_misclassification_rate_worked_values(self, y_true, y_pred, expected):
        assert misclassification_rate(y_true, y_pred) == pytest.approx(expected)

    def test_equal_error_rate(self):
        assert equal_error_rate([1, 1, 0, 1, 0, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) == pytest.approx((1 / 3, 0.3))
        assert equal_error_rate([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == pytest.approx((0.0, 0.2))
        assert equal_error_rate([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])[0] == pytest.approx(1.0)

    def test_error_rates_and_min_dcf(self):
        thresholds, far, frr = error_rates([1, 1, 0, 1, 0, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        np.testing.assert_allclose(far, [0, 0, 1 / 3, 1 / 3, 2 / 3, 1])
        np.testing.assert_allclose(frr, [2 / 3, 1 / 3, 1 / 3, 0, 0, 0])
        assert min_dcf([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.0)
        assert min_dcf([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4], p_target=0.5) == pytest.approx(1.0)
        with pytest.raises(ValueError, match="p_target"):
            min_dcf([0, 1], [0.1, 0.2], p_target=1.0)

    def test_equal_error_rate_rejects_bad_labels(self):
        with pytest.raises(ValueError, match="both same-speaker"):
            equal_error_rate([1, 1], [0.1, 0.2])
        with pytest.raises(ValueError, match="only 0"):
            equal_error_rate([1, 2], [0.1, 0.2])

    def test_clustering_of_separated_points_is_perfect(self):
        labels = np.repeat([0, 1, 2], 4)
        points = labels[:, None] * 10.0 + np.random.default_rng(0).normal(size=(12, 2))
        distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
        assert clustering_scores(labels, cluster(distances, 3)) == pytest.approx({"mr": 0, "ari": 1, "nmi": 1})

    def test_pairs(self):
        labels = np.repeat(np.arange(4), 5)
        i, j, same = sample_pairs(labels, 100, np.random.default_rng(0))
        assert same.mean() == 0.5
        np.testing.assert_array_equal(labels[i] == labels[j], same == 1)
        assert np.all(i != j)
        _, _, all_same = verification_pairs(labels)
        assert len(all_same) == 190 and all_same.sum() == 40


class TestFactorial:
    def test_keys_and_references(self):
        assert len(FACTORIAL) == 12 and REPORTER in FACTORIAL and "softplus/symmetric/m2" in FACTORIAL
        assert STOP_GRADIENT.key == "softmax/symmetric/m2/stop-gradient"
        assert BOTH_ORDERS.key == "softplus/both-orders/m1"
        assert ALL_PAIRS.key == "softmax/symmetric/m2/all-pairs" and THREAD.key == "softplus/symmetric/m2/thread"
        assert factorial_reference(REPORTER) is None
        assert factorial_reference("softplus/symmetric/m2") == "softplus/one-way/m2"  # one factor: the direction
        assert factorial_reference("softmax/one-way/m2") == "softmax/one-way/m1"
        assert factorial_reference("softmax/one-way/m1") == REPORTER
        for key, (setup, reference) in EXTRA.items():
            assert key == setup.key and reference in FACTORIAL

    def test_the_page_branch_is_the_package_branch(self, page):
        from dlclinic.backend import keras
        from dlclinic.siamese_speakers.models import build_branch

        x = np.random.default_rng(1).normal(size=(5, 32, 8)).astype("float32")
        for output in ("prelu", "softplus", "softmax", "linear"):
            keras.utils.set_random_seed(3)
            ours = page["speaker_branch"](32, 8, output)
            keras.utils.set_random_seed(3)
            package = build_branch(output, frames=32, bands=8, pool=16)
            assert [w.shape for w in ours.get_weights()] == [w.shape for w in package.get_weights()], output
            for mine, theirs in zip(ours.get_weights(), package.get_weights(), strict=True):
                np.testing.assert_array_equal(mine, theirs, err_msg=output)
            np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(package(x)), rtol=1e-6, err_msg=output)

    def test_budget(self):
        budget = Budget(steps=640, checkpoints=10)
        assert budget.passes == 640 * 128 and budget.at[0] == 64 and budget.at[-1] == 640
        with pytest.raises(ValueError, match="multiple of checkpoints"):
            Budget(steps=50, checkpoints=6)

    def test_utterance_batches_visit_every_utterance_once_per_pass(self):
        labels = np.repeat(np.arange(5), 4)
        batches = list(utterance_batches(np.zeros((20, 3, 2)), labels, 10, 4, np.random.default_rng(0)))
        assert len(batches) == 4 and all(x.shape == (10, 3, 2) for x, _ in batches)
        first_pass = np.concatenate([y.numpy() for _, y in batches[:2]])
        np.testing.assert_array_equal(np.sort(first_pass), labels)
        with pytest.raises(ValueError, match="at least batch_size"):
            utterance_batches(np.zeros((4, 3, 2)), labels[:4], 10, 1, np.random.default_rng(0))

    def test_a_constant_distance_is_flagged(self):
        assert is_constant(np.full((4, 4), 0.3)) and not is_constant(np.arange(16.0).reshape(4, 4))

    def test_the_trainer_returns_fits_for_the_runner(self, page):
        rng = np.random.default_rng(3)
        labels = np.repeat(np.arange(6), 4)
        splits = [Split(rng.normal(size=(24, 32, 8)).astype("float32"), labels) for _ in range(3)]
        trainer = Trainer(lambda output: page["speaker_branch"](32, 8, output), page["pair_loss"],
                          page["all_pairs_loss"], *splits, Budget(steps=4, checkpoints=2, pairs_per_step=8))
        first, again = (trainer.pairs(FACTORIAL["softplus/symmetric/m1"])(1e-3, 0) for _ in range(2))
        assert first.steps == [2, 4] and len(first.validation) == 2 and set(first.test) >= {"test EER", "ARI"}
        assert first.test == again.test  # the compiled model reused: fresh weights, Adam reset, same result
        for fit in (trainer.pairs(ALL_PAIRS)(1e-3, 1), trainer.classifier()(1e-3, 1)):
            assert np.isfinite(fit.final) and 0 <= fit.test["test EER"] <= 1 and not fit.constant


def record_of(values: dict[str, float]) -> dict:
    """A differential record whose rows have the given test EER (three seeds, small spreads)."""
    table = Differential(Metric("test EER", lower_is_better=True, floor=0.01))

    def fixed(value):
        return lambda rate, seed: Fit(seed, rate, [1, 2], [value, value], {
            "test EER": value + 0.001 * seed, "minDCF": 2 * value, "ARI": 1 - value, "MR": value, "NMI": 1 - value})

    for key in FACTORIAL:
        table.train(key, key, fixed(values.get(key, 0.3)), [0, 1, 2], reference=factorial_reference(key),
                    others=list(report.OTHERS))
    return table.record()


class TestEvidence:
    def test_the_interaction_gets_a_verdict_per_output(self):
        record = record_of({"softplus/one-way/m1": 0.17, "softplus/symmetric/m1": 0.06,
                            "softmax/one-way/m1": 0.10, "softmax/symmetric/m1": 0.10})
        cells = report.interaction(record)
        assert set(cells) == {f"{o}/{d}" for o in ("prelu", "softplus", "softmax") for d in ("one-way", "symmetric")}
        assert cells["softplus/symmetric"]["verdict"] == "better than softplus/one-way/m1"
        assert cells["softmax/symmetric"]["verdict"] == "ties with softmax/one-way/m1"
        assert cells["softplus/one-way"]["seeds"] == 3
        text = report.interaction_table(record).data
        assert text.count("\n") == 4 and "0.061 ± 0.001 (3)" in text

    def test_comparisons_beside_eer(self):
        record = record_of({"softplus/symmetric/m1": 0.06, "softmax/symmetric/m1": 0.062})
        assert report.verb_on(record, "softplus/symmetric/m1", "softmax/symmetric/m1", "minDCF") == "ties"
        assert report.verb_on(record, "softplus/symmetric/m1", REPORTER, "ARI") == "beats"
        words = report.verdict_words(record, "softplus/symmetric/m1", REPORTER)
        assert words == "wins on EER, minDCF, ARI, MR and NMI"
        assert "loses on EER" in report.verdict_words(record, REPORTER, "softplus/symmetric/m1")
        table = report.checkup_table(record, [(REPORTER, "reporter"), ("softplus/symmetric/m1", "fix"),
                                              ("softplus/symmetric/m1", "best")]).data
        assert "| reporter | 0.301 ± 0.001 (3) |" in table and "| fix = best | 0.061" in table

    def test_det_points_keep_the_ends(self):
        same = np.r_[np.ones(50), np.zeros(150)]
        distance = np.r_[np.linspace(0, 1, 50), np.linspace(0.5, 2, 150)]
        found = det_points(same, distance, points=20)
        far, frr = found["far"], found["frr"]
        assert len(far) == 20 and far[-1] == 1.0 and frr[-1] == 0.0 and frr[0] == pytest.approx(49 / 50)


FULL_RECORD = ROOT / "benchmarks" / "full" / "05-siamese-speakers.json"
KEYS = {"differential", "evidence", "picks", "interaction", "both_orders", "stop_gradient_softmax",
        "all_pairs_batch", "passes", "reporter", "fixed", "xent_baseline", "baseline", "thread_remedy", "diagnosis",
        "det", "settings"}


def check_metric_keys(metrics: dict, full: bool) -> None:
    """The keys the issue asks for, and every row of the differential with the runner's fields."""
    assert KEYS <= set(metrics), KEYS - set(metrics)
    rows = {row["name"]: row for row in metrics["differential"]["rows"]}
    assert set(FACTORIAL) | set(EXTRA) | {"classifier", "mean log-mel", "constant"} == set(rows)
    for name, row in rows.items():
        fields = ("value", "spread", "seeds", "learning_rate", "grid", "edge", "converged", "degenerate", "verdict")
        assert set(fields) <= set(row), (name, set(fields) - set(row))
        if full and row["kind"] == "trained":
            assert row["seeds"] >= (5 if name in FACTORIAL or name == "classifier" else 3), name
            assert len(row["grid"]) >= 4, name
    assert set(metrics["interaction"]) == {f"{o}/{d}" for o in ("prelu", "softplus", "softmax")
                                           for d in ("one-way", "symmetric")}
    for key in ("both_orders", "stop_gradient_softmax", "all_pairs_batch"):
        assert {"value", "spread", "seeds", "verdict"} <= set(metrics[key]), key
    assert metrics["passes"]["siamese"] == metrics["passes"]["classifier"] > 0


@pytest.mark.skipif(not FULL_RECORD.exists(), reason="no full run recorded yet")
def test_committed_full_record_has_the_keys():
    record = json.loads(FULL_RECORD.read_text())
    check_metric_keys(record, full=True)
    assert record["settings"]["quick"] is False and record["settings"]["seeds"] >= 3


@pytest.mark.slow
def test_quick_run_shows_the_failure_and_the_fix(quick_run):
    build, done = quick_run("05-siamese-speakers")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / "05-siamese-speakers.json")
    check_metric_keys(metrics, full=False)
    if FULL_RECORD.exists():  # the committed full record has the same keys
        record = json.loads(FULL_RECORD.read_text())
        assert set(record) - {"run", "stale"} == set(metrics), set(record) ^ set(metrics)
    assert metrics["reproduction"]["reporter_eer"] > 0.3, "the symptom: the reporter's embeddings barely verify"
    assert metrics["diagnosis"]["reporter_keras_accuracy"] <= 0.55, "the symptom: 'accuracy' near or below 0.5"


ASSIGNMENT = ROOT / "solutions" / "05-siamese-speakers"


def test_the_assignment_checks_score_the_notebooks_patients():
    """checks.py names each shipped patient's condition from the notebook's closed list, gives the patient cell
    its points, and sets a training bar between the solution and the learning-free baseline it measured."""
    import importlib.util

    nbformat = pytest.importorskip("nbformat", reason="reading the assignment needs the course's tooling")
    spec = importlib.util.spec_from_file_location("assignment_05_checks", ASSIGNMENT / "checks.py")
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    notebook = nbformat.read(ASSIGNMENT / "05-siamese-speakers.ipynb", as_version=4)
    by_id = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in notebook.cells}
    names = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(by_id["task_data"].source).body
             if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) in ("FAULTS", "PATIENTS")}
    assert set(checks.PATIENTS) == set(names["PATIENTS"])
    assert {fault for fault, _ in checks.PATIENTS.values()} <= set(names["FAULTS"]) == set(checks.PATIENT_TOLERANCE)
    assert all((ASSIGNMENT / f"{name}.keras").is_file() and (ASSIGNMENT / f"{name}.json").is_file()
               for name in checks.PATIENTS)
    assert checks.PATIENT_POINTS == by_id["test_patient_diagnosis"].metadata["nbgrader"]["points"]
    assert 0.199 < checks.BAR < 0.318 - (0.318 - 0.199) / 3  # worst measured solution and baseline draws

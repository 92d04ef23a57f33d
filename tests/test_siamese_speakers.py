"""Unit tests for Case 5's package: the synthesiser, log-mel features, losses, diagnosis, metrics, the factorial."""

import json
from pathlib import Path

import numpy as np
import pytest

from dlclinic.metrics_json import read_metrics
from dlclinic.siamese_speakers import losses as dv
from dlclinic.siamese_speakers.baselines import MeanLogMel
from dlclinic.siamese_speakers.data import N_SAMPLES, RATE, Speaker, make_corpus, speak
from dlclinic.siamese_speakers.diagnosis import negative_pair_fraction, past_margin_fraction
from dlclinic.siamese_speakers.experiment import (
    FACTORIAL,
    REPORTER,
    VARIANTS,
    Cell,
    Setup,
    factor_effects,
    factorial_table,
    negative_loss_fraction,
)
from dlclinic.siamese_speakers.features import BANDS, Standardiser, log_mel
from dlclinic.siamese_speakers.metrics import (
    cluster,
    clustering_scores,
    equal_error_rate,
    error_rates,
    min_dcf,
    misclassification_rate,
    verification_pairs,
)
from dlclinic.siamese_speakers.pairs import sample_pairs


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


class TestDivergences:
    def test_worked_values(self):  # REFERENCES.md, Case 5
        p, q = np.array([0.8, 0.15, 0.05]), np.array([0.4, 0.4, 0.2])
        assert float(dv.kl_divergence(p, q)) == pytest.approx(0.338, abs=5e-4)
        assert float(dv.kl_divergence(q, p)) == pytest.approx(0.392, abs=5e-4)
        assert float(dv.symmetric_kl(p, q)) == pytest.approx(0.7304, abs=5e-4)
        P, Q = np.array([[0.7, 0.2, 0.1]]), np.array([[0.1, 0.2, 0.7]])
        assert float(dv.kl_divergence(P, Q)[0]) == pytest.approx(1.1675, abs=1e-4)
        assert float(dv.kl_hinge_loss(np.array([1.0]), P, Q)[0]) == pytest.approx(2.335, abs=1e-3)
        assert float(dv.kl_hinge_loss(np.array([0.0]), P, Q)[0]) == pytest.approx(1.665, abs=1e-3)

    def test_one_way_and_symmetric_pair_losses(self):
        p, q = np.array([[0.98, 0.01, 0.01]]), np.array([[0.2, 0.4, 0.4]])
        f, b = float(dv.kl_divergence(p, q)[0]), float(dv.kl_divergence(q, p)[0])
        assert f < 2 < b  # one direction past the margin, the other not
        one_way = dv.pairwise_kl_loss(np.array([0.0]), p, q, direction="one-way", margin=2.0)
        assert float(one_way[0]) == pytest.approx(2 - f, rel=1e-5)
        symmetric = dv.pairwise_kl_loss(np.array([0.0]), p, q, direction="symmetric", margin=2.0)
        assert float(symmetric[0]) == pytest.approx(2 - f, rel=1e-5)  # a hinge per direction, not on the sum
        assert float(dv.kl_hinge_loss(np.array([0.0]), p, q)[0]) == pytest.approx(2 - f, rel=1e-5)
        assert float(dv.thread_remedy_loss(np.array([0.0]), p, q)[0]) == pytest.approx(np.log1p(np.exp(2 - f - b)))
        with pytest.raises(ValueError, match="direction must be one of"):
            dv.pairwise_kl_loss(np.array([0.0]), p, q, direction="both")

    def test_stop_gradient_detaches_the_target(self):
        from dlclinic.backend import tf

        p, q = tf.Variable([[0.5, 0.3, 0.2]]), tf.Variable([[0.2, 0.3, 0.5]])
        with tf.GradientTape(persistent=True) as tape:
            loss = dv.pairwise_kl_loss(tf.constant([1.0]), p, q, direction="one-way", stop_gradient=True)
            free = dv.pairwise_kl_loss(tf.constant([1.0]), p, q, direction="one-way")
        assert tape.gradient(loss, p) is None and tape.gradient(loss, q) is not None
        assert tape.gradient(free, p) is not None

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

    def test_cosine_distance_and_contrastive_loss(self):
        a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])
        assert float(dv.cosine_distance(a, 3 * a)[0]) == pytest.approx(0.0, abs=1e-9)
        assert float(dv.cosine_distance(a, b)[0]) == pytest.approx(1.0)
        assert float(dv.contrastive_loss(0.0, 0.2, margin=0.5)) == pytest.approx(0.09)


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
    def test_variants_and_keys(self):
        assert len(FACTORIAL) == 12 and REPORTER in FACTORIAL and "softplus/symmetric/m2" in FACTORIAL
        assert Setup("softmax", "symmetric", 2.0, stop_gradient=True).key == "softmax/symmetric/m2/stop-gradient"
        assert {"thread_remedy", "cosine"} <= set(VARIANTS)

    def test_negative_losses_only_for_one_way_unnormalised(self):
        rng = np.random.default_rng(1)
        a, b, same = rng.uniform(0.01, 0.6, (300, 6)), rng.uniform(0.01, 0.6, (300, 6)), np.ones(300)
        assert negative_loss_fraction(FACTORIAL["prelu/one-way/m1"], a, b, same) > 0.1
        assert negative_loss_fraction(FACTORIAL["prelu/symmetric/m1"], a, b, same) == 0.0
        soft = a / a.sum(axis=1, keepdims=True), b / b.sum(axis=1, keepdims=True)
        assert negative_loss_fraction(FACTORIAL["softmax/one-way/m1"], *soft, same) == 0.0

    def test_factor_effects_name_the_factor_that_matters(self):
        cells = {}
        for key, setup in FACTORIAL.items():  # outputs matter (softmax best), nothing else does
            eer = {"prelu": 0.45, "softplus": 0.30, "softmax": 0.15}[setup.output]
            cells[key] = Cell(key, 1e-3, {1e-3: eer}, [], [{"eer": eer + d} for d in (-0.005, 0.0, 0.005)])
        effects = factor_effects(cells)
        assert effects["outputs: clipped PReLU → softmax"]["verdict"] == "changes the outcome (better)"
        assert effects["KL: one-way → symmetric"]["verdict"] == "does not change it"
        assert effects["margin: 1 → 2"]["settings"] == 6
        table = factorial_table({k: cells[k] for k in list(cells)[:3]}, {k: 0.0 for k in cells}).data
        assert table.count("not run in this mode") == 9 and "± 0.005 (3 seeds)" in table

    def test_the_blended_loss_is_every_kl_setups_loss(self):
        from dlclinic.backend import tf

        rng = np.random.default_rng(2)
        same = tf.constant(np.arange(40) % 2, tf.float32)
        inputs = {"prelu": lambda: rng.normal(0.1, 0.3, (40, 6)), "softplus": lambda: rng.uniform(0.0, 2.0, (40, 6)),
                  "softmax": lambda: rng.dirichlet(np.ones(6), 40)}
        setups = [s for s in VARIANTS.values() if s.blend() is not None]
        setups += [Setup(o, "one-way", 1.0, stop_gradient=True) for o in ("prelu", "softmax")]
        for setup in setups:
            p, q = (tf.constant(inputs[setup.output](), tf.float32) for _ in range(2))
            with tf.GradientTape(persistent=True) as tape:
                tape.watch([p, q])
                own = setup.pair_loss()(same, p, q)
                blended = dv.blended_pair_loss(same, p, q, **setup.blend())
            np.testing.assert_array_equal(own.numpy(), blended.numpy(), err_msg=setup.key)
            for x in (p, q):
                expected, got = tape.gradient(own, x), tape.gradient(blended, x)
                expected = np.zeros(x.shape) if expected is None else expected.numpy()  # a detached target
                np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-6, err_msg=setup.key)
        assert VARIANTS["cosine"].blend() is None

    def test_the_shared_model_trains_like_a_model_of_its_own(self):
        from dlclinic.siamese_speakers.experiment import train_variant
        from dlclinic.siamese_speakers.models import build_branch, build_switch_branch, copy_branch_weights

        rng = np.random.default_rng(3)
        x, labels = rng.normal(size=(24, 32, 8)).astype("float32"), np.repeat(np.arange(6), 4)
        switch = build_switch_branch(frames=32, bands=8, pool=16)
        for output in ("prelu", "softplus", "softmax"):
            plain = build_branch(output, frames=32, bands=8, pool=16)
            copy_branch_weights(plain, switch)
            np.testing.assert_array_equal(np.asarray(switch(x)), np.asarray(plain(x)), err_msg=output)
        train_variant("softplus/one-way/m1", x, labels, 1, 0, 128, shared=True)  # the shared model is built
        shared, own = (train_variant("prelu/symmetric/m2", x, labels, 1, 1, 128, shared=s) for s in (True, False))
        assert shared.branch.name == own.branch.name == "branch_prelu"
        np.testing.assert_allclose(shared.embed(x), own.embed(x), atol=1e-5)
        np.testing.assert_allclose(shared.train_loss, own.train_loss, rtol=1e-5)
        with pytest.raises(ValueError, match="switch branch"):
            copy_branch_weights(plain, build_branch("prelu", frames=32, bands=8, pool=16))


FULL_RECORD = Path(__file__).resolve().parents[1] / "benchmarks" / "full" / "05-siamese-speakers.json"
TOP_KEYS = {"reporter", "fixed", "baseline", "factorial", "fix", "thread_remedy", "xent_baseline", "min_dcf"}


def check_metric_keys(metrics: dict, full: bool) -> None:
    """The keys the issue asks for: factorial cells with eer (and eer_std in full mode), the remedy, both baselines."""
    assert TOP_KEYS <= set(metrics), TOP_KEYS - set(metrics)
    for key, cell in metrics["factorial"].items():
        assert key in FACTORIAL and "eer" in cell, key
        assert ("eer_std" in cell) == full, key
    if full:
        assert set(metrics["factorial"]) == set(FACTORIAL)
    assert "eer" in metrics["thread_remedy"]
    assert {"eer", "mr", "ari"} <= set(metrics["xent_baseline"])
    assert {"reporter", "fixed", "xent_baseline", "baseline"} <= set(metrics["min_dcf"])


@pytest.mark.skipif(not FULL_RECORD.exists(), reason="no full run recorded yet")
def test_committed_full_record_has_the_keys():
    record = json.loads(FULL_RECORD.read_text())
    check_metric_keys(record, full=True)
    assert record["settings"]["quick"] is False and record["settings"]["seeds"] == 3


@pytest.mark.slow
def test_quick_run_shows_the_failure_and_the_fix(quick_run):
    build, done = quick_run("05-siamese-speakers")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / "05-siamese-speakers.json")
    for name in ["reporter", "baseline", "fixed"]:
        assert set(metrics[name]) >= {"eer", "mr", "ari"}, name
    check_metric_keys(metrics, full=False)
    if FULL_RECORD.exists():  # the committed full record has the same keys
        record = json.loads(FULL_RECORD.read_text())
        assert set(record) - {"run"} == set(metrics), set(record) ^ set(metrics)
    assert metrics["reporter"]["eer"] > 0.3, "the symptom: the reporter's embeddings barely verify speakers"
    assert metrics["fixed"]["eer"] < 0.6 * metrics["reporter"]["eer"], "the fix wins by a wide margin"
    assert metrics["fixed"]["eer"] < metrics["baseline"]["eer"]
    assert metrics["fixed"]["ari"] > metrics["reporter"]["ari"]
    assert metrics["headline"]["fix_vs_reporter"] > 1.5

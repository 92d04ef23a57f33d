"""Unit tests for Case 5's package: the synthesiser, log-mel features, divergences, losses and metrics."""

import numpy as np
import pytest

from dlclinic.metrics_json import read_metrics
from dlclinic.siamese_speakers import losses as dv
from dlclinic.siamese_speakers.baselines import MeanLogMel
from dlclinic.siamese_speakers.data import N_SAMPLES, RATE, Speaker, make_corpus, speak
from dlclinic.siamese_speakers.features import BANDS, Standardiser, log_mel
from dlclinic.siamese_speakers.metrics import (
    cluster,
    clustering_scores,
    equal_error_rate,
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

    def test_zeros_stay_finite_and_reporter_kl_goes_negative(self):
        assert np.isfinite(float(dv.kl_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0]))))
        # unnormalised vectors, as the report's clipped PReLU outputs: "KL" below zero
        assert float(dv.reporter_kl(np.array([0.3, 0.3]), np.array([1.0, 1.0]))) < 0

    def test_cosine_distance_and_contrastive_loss(self):
        a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])
        assert float(dv.cosine_distance(a, 3 * a)[0]) == pytest.approx(0.0, abs=1e-9)
        assert float(dv.cosine_distance(a, b)[0]) == pytest.approx(1.0)
        assert float(dv.contrastive_loss(0.0, 0.2, margin=0.5)) == pytest.approx(0.09)


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


@pytest.mark.slow
def test_quick_run_shows_the_failure_and_the_fix(quick_run):
    build, done = quick_run("05-siamese-speakers")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / "05-siamese-speakers.json")
    for name in ["reporter", "baseline", "fixed"]:
        assert set(metrics[name]) >= {"eer", "mr", "ari"}, name
    assert metrics["reporter"]["eer"] > 0.3, "the symptom: the reporter's embeddings barely verify speakers"
    assert metrics["fixed"]["eer"] < 0.6 * metrics["reporter"]["eer"], "the fix wins by a wide margin"
    assert metrics["fixed"]["eer"] < metrics["baseline"]["eer"]
    assert metrics["fixed"]["ari"] > metrics["reporter"]["ari"]
    assert metrics["headline"]["fix_vs_reporter"] > 1.5

"""Unit tests for Case 4's package: data, the floor and KL weight, scores, models and training."""

import math

import numpy as np
import pytest

from dlclinic.bnn_uncertainty.data import diabetes_split, make_wave, wave_noise_std, wave_split
from dlclinic.bnn_uncertainty.floor import kl_weight, softplus, std_floor
from dlclinic.bnn_uncertainty.metrics import (
    calibration_curve,
    error_std_spearman,
    gaussian_crps,
    gaussian_nll,
    interval_width,
    picp,
    predictive_moments,
    score,
)
from dlclinic.metrics_json import read_metrics


class TestData:
    def test_wave_follows_the_blog_formula(self):
        x, y = make_wave(2000, seed=1)
        assert x.shape == (2000, 1) and y.shape == (2000,)
        assert -20 <= x.min() and x.max() <= 60
        residual = y - (0.125 * x[:, 0] * (1 + np.sin(x[:, 0])) + 5)
        left, right = residual[x[:, 0] < -10], residual[x[:, 0] > 50]
        assert left.std() == pytest.approx(3 * 0.25, rel=0.2)  # g near 0
        assert right.std() > 3 * left.std()  # the noise grows to the right
        assert wave_noise_std(60.0) == pytest.approx(3.75)
        np.testing.assert_array_equal(make_wave(5, seed=2)[1], make_wave(5, seed=2)[1])

    def test_splits_are_standardised_on_the_training_part(self):
        split = wave_split(150, 300, seed=0)
        assert split.x_train.shape == (150, 1) and split.y_test.shape == (300,)
        assert split.y_train.mean() == pytest.approx(0, abs=1e-5) and split.y_train.std() == pytest.approx(1, rel=1e-4)
        assert split.x_train.dtype == np.float32
        diabetes = diabetes_split(seed=0)
        assert diabetes.x_train.shape[1] == 10 and len(diabetes.x_train) + len(diabetes.x_test) == 442
        with pytest.raises(ValueError, match="test_fraction"):
            diabetes_split(test_fraction=1.5)
        with pytest.raises(ValueError, match="n must be a positive int"):
            make_wave(0)


class TestFloorAndKL:
    def test_reference_values(self):
        assert softplus(0.0) == pytest.approx(0.6931, abs=1e-4)  # REFERENCES.md: ln 2
        assert std_floor(1e-3, 0.01) == pytest.approx(0.6941, abs=1e-4)
        assert std_floor(0.0, 5.0) == pytest.approx(math.log(2))
        assert std_floor(0.1, -1.0) == pytest.approx(0.1)  # a negative scale: the infimum is the offset
        assert softplus(1000.0) == pytest.approx(1000.0)

    def test_kl_weight_is_one_over_n(self):
        assert kl_weight(150, 32) == pytest.approx(1 / 150)
        assert kl_weight(60000, 1) == pytest.approx(1 / 60000)

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda: std_floor(-1.0, 0.01), "offset must be non-negative"),
            (lambda: std_floor(1e-3, float("nan")), "scale must be a finite number"),
            (lambda: kl_weight(0, 1), "n_train must be a positive int"),
            (lambda: kl_weight(10, 20), "batch_size must not exceed n_train"),
        ],
    )
    def test_bad_input_is_named(self, call, message):
        with pytest.raises(ValueError, match=message):
            call()


class TestScores:
    def test_moments_add_aleatoric_and_epistemic_variance(self):
        mean, std = predictive_moments([[0.0, 2.0], [2.0, 2.0]], [[1.0, 1.0], [1.0, 3.0]])
        np.testing.assert_allclose(mean, [1.0, 2.0])
        np.testing.assert_allclose(std, [math.sqrt(2), math.sqrt(5)])

    def test_nll_crps_picp_reference_values(self):
        assert gaussian_nll([0.0], [0.0], [1.0]) == pytest.approx(0.5 * math.log(2 * math.pi))
        assert gaussian_nll([1.0], [0.0], [2.0]) == pytest.approx(0.5 * math.log(8 * math.pi) + 1 / 8)
        assert gaussian_crps([0.0], [0.0], [1.0]) == pytest.approx(0.2337, abs=1e-4)  # REFERENCES.md
        assert gaussian_crps([10.0], [0.0], [1e-6]) == pytest.approx(10.0)  # → absolute error as σ → 0
        y = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
        assert picp(y, np.zeros(5), np.ones(5)) == pytest.approx(0.6)
        assert picp(y, np.zeros(5), np.ones(5), level=0.5) == pytest.approx(0.2)
        assert interval_width([1.0, 1.0], 0.95) == pytest.approx(2 * 1.959964, rel=1e-6)

    def test_crps_agrees_with_a_sampled_estimate(self):
        rng = np.random.default_rng(0)
        draws = rng.normal(0.5, 2.0, size=(200000,))
        sampled = np.mean(np.abs(draws - 1.0)) - 0.5 * np.mean(np.abs(draws[::2] - draws[1::2]))
        assert gaussian_crps([1.0], [0.5], [2.0]) == pytest.approx(sampled, rel=0.02)

    def test_calibrated_predictions_cover_their_level(self):
        rng = np.random.default_rng(1)
        y = rng.normal(size=20000)
        curve = calibration_curve(y, np.zeros_like(y), np.ones_like(y))
        np.testing.assert_allclose(curve["coverage"], curve["level"], atol=0.015)
        scores = score(y, np.zeros_like(y), np.ones_like(y))
        assert set(scores) >= {"nll", "crps", "rmse", "picp95", "min_std", "spearman"}
        assert error_std_spearman(y, np.zeros_like(y), np.ones_like(y)) == 0.0

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda: gaussian_nll([0.0, 1.0], [0.0], [1.0]), "y and mu must have the same shape"),
            (lambda: gaussian_crps([0.0], [0.0], [0.0]), "sigma must be positive"),
            (lambda: picp([0.0], [0.0], [1.0], level=1.0), "level must be a number strictly between 0 and 1"),
            (lambda: predictive_moments([[0.0]], [[-1.0]]), "sigma_samples must be non-negative"),
            (lambda: gaussian_nll([np.nan], [0.0], [1.0]), "finite"),
        ],
    )
    def test_bad_input_is_named(self, call, message):
        with pytest.raises(ValueError, match=message):
            call()


class TestModels:
    def test_reporter_head_cannot_go_below_the_floor(self):
        from dlclinic.bnn_uncertainty.models import build_bnn
        from dlclinic.bnn_uncertainty.training import fit, sample_predictions
        from dlclinic.seeding import seed_everything

        split = wave_split(60, 40, seed=3)
        seed_everything(0)
        reporter = build_bnn(1, 60, hidden=(4,), last_activation="relu")
        history = fit(reporter, split.x_train, split.y_train, steps=20)
        assert history.nll.shape == history.kl.shape == (20,) and np.all(history.kl > 0)
        mu, sigma = sample_predictions(reporter, split.x_test, n_samples=3)
        assert mu.shape == sigma.shape == (3, 40)
        assert sigma.min() >= std_floor(1e-3, 0.01) - 1e-6
        with pytest.raises(ValueError, match="kl_multiplier must be a positive number"):
            build_bnn(1, 60, kl_multiplier=0.0)
        with pytest.raises(ValueError, match="last_activation must be one of"):
            build_bnn(1, 60, last_activation="sigmoid")

    def test_relu_on_scale_clips_only_the_scale_unit(self):
        from dlclinic.bnn_uncertainty.models import relu_on_scale

        np.testing.assert_array_equal(relu_on_scale(np.array([[-2.0, -3.0], [1.0, 4.0]], dtype="float32")).numpy(),
                                      [[-2.0, 0.0], [1.0, 4.0]])

    def test_training_is_deterministic_for_a_seed(self):
        from dlclinic.bnn_uncertainty.experiment import train_model

        split = wave_split(40, 20, seed=4)
        first, second = (train_model("mc_dropout", split, steps=10, seed=5, hidden=(4,), n_samples=2) for _ in range(2))
        np.testing.assert_array_equal(first.prediction.mean, second.prediction.mean)
        with pytest.raises(ValueError, match="name must be one of"):
            train_model("bayes", split, steps=1, seed=0)


@pytest.mark.slow
def test_quick_run_shows_the_floor_and_the_fix(quick_run):
    build, done = quick_run("04-bnn-uncertainty")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / "04-bnn-uncertainty.json")
    for dataset in ["synthetic", "diabetes"]:
        for name in ["reporter", "fixed", "mc_dropout", "deep_ensemble"]:
            assert set(metrics[dataset][name]) >= {"nll", "crps", "rmse", "picp95", "min_std"}, (dataset, name)
    synthetic = metrics["synthetic"]
    assert synthetic["reporter"]["min_std"] >= 0.69, "the symptom: no std below the floor"
    assert metrics["diabetes"]["reporter"]["min_std"] >= 0.69
    assert synthetic["fixed"]["min_std"] < 0.6 * synthetic["reporter"]["min_std"], "the fix goes far below it"
    assert synthetic["fixed"]["nll"] < synthetic["reporter"]["nll"]
    assert metrics["headline"]["reporter_min_std_over_fixed"] > 1

"""Unit tests for Case 4's package: data, the floor and KL weight, scores, diagnosis, models and training."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from dlclinic.bnn_uncertainty.data import diabetes_split, make_wave, wave_mean, wave_noise_std, wave_split
from dlclinic.bnn_uncertainty.diagnosis import retention_curve, scale_mismatch_per_weight
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
from dlclinic.bnn_uncertainty.treatments import apply_std_floor, choose_std_floor
from dlclinic.metrics_json import read_metrics

FULL_RECORD = Path(__file__).resolve().parents[1] / "benchmarks" / "full" / "04-bnn-uncertainty.json"
METRIC_KEYS = {"settings", "synthetic", "diabetes", "oracle", "retention", "floor_ablation", "chosen_floor",
               "differential", "diagnosis", "blog_cases_nll", "headline"}
RETENTION_MODELS = {"reporter", "fixed", "mc_dropout", "deep_ensemble", "oracle"}


class TestData:
    def test_wave_follows_the_blog_formula(self):
        x, y = make_wave(2000, seed=1)
        assert x.shape == (2000, 1) and y.shape == (2000,)
        assert -20 <= x.min() and x.max() <= 60
        residual = y - wave_mean(x[:, 0])
        left, right = residual[x[:, 0] < -10], residual[x[:, 0] > 50]
        assert left.std() == pytest.approx(3 * 0.25, rel=0.2)  # g near 0
        assert right.std() > 3 * left.std()  # the noise grows to the right
        assert wave_noise_std(60.0) == pytest.approx(3.75)
        assert wave_mean(0.0) == pytest.approx(5.0)
        np.testing.assert_array_equal(make_wave(5, seed=2)[1], make_wave(5, seed=2)[1])

    def test_targets_are_scaled_but_not_centred_unless_asked(self):
        split = wave_split(150, 100, 300, seed=0)
        assert split.x_train.shape == (150, 1) and split.y_val.shape == (100,) and split.y_test.shape == (300,)
        assert split.y_train.std() == pytest.approx(1, rel=1e-4)
        assert split.y_train.mean() > 1  # not centred: positive, like the reporter's targets
        assert split.x_train.mean() == pytest.approx(0, abs=1e-5) and split.x_train.dtype == np.float32
        assert split.to_units(wave_mean(np.linspace(-20, 60, 10001))).min() > 0
        centred = wave_split(150, 100, 300, seed=0, centre=True)
        assert centred.y_train.mean() == pytest.approx(0, abs=1e-5)
        np.testing.assert_allclose(centred.y_test, split.y_test - split.y_train.mean(), atol=1e-5)
        diabetes = diabetes_split(seed=0)
        assert diabetes.x_train.shape[1] == 10
        assert len(diabetes.x_train) + len(diabetes.x_val) + len(diabetes.x_test) == 442
        assert diabetes.y_train.min() > 0
        with pytest.raises(ValueError, match="test_fraction"):
            diabetes_split(test_fraction=1.5)
        with pytest.raises(ValueError, match="val_fraction"):
            diabetes_split(val_fraction=0.0)
        with pytest.raises(ValueError, match="n must be a positive int"):
            make_wave(0)


class TestFloorAndKL:
    def test_reference_values(self):
        assert softplus(0.0) == pytest.approx(0.6931, abs=1e-4)  # REFERENCES.md: ln 2
        assert std_floor(1e-3, 0.01) == pytest.approx(0.6941, abs=1e-4)
        assert std_floor(0.0, 5.0) == pytest.approx(math.log(2))
        assert std_floor(0.1, -1.0) == pytest.approx(0.1)  # a negative scale: the infimum is the offset
        assert softplus(1000.0) == pytest.approx(1000.0)
        # the reporter's printed value is the float32 head with an offset of 1e-5 (REFERENCES.md, second edition)
        assert float(np.float32(np.float32(1e-5) + np.float32(math.log(2)))) == 0.6931571960449219

    def test_kl_weight_is_one_over_n_as_a_float(self):
        assert kl_weight(150, 32) == pytest.approx(1 / 150) and type(kl_weight(150, 32)) is float
        assert kl_weight(60000, 1) == pytest.approx(1 / 60000)

    def test_kl_weight_rules(self):
        from dlclinic.bnn_uncertainty.experiment import kl_weight_for

        assert kl_weight_for("1/N", 150) == pytest.approx(1 / 150)
        assert kl_weight_for("1/M", 150) == pytest.approx(1 / 5)  # 5 batches of 32
        assert kl_weight_for("1/(N*B)", 150) == pytest.approx(1 / 4800)
        with pytest.raises(ValueError, match="rule must be one of"):
            kl_weight_for("1/B", 150)

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

    def test_moments_average_over_the_sample_axis(self):
        mu = np.arange(15.0).reshape(5, 3)  # 5 samples x 3 points
        sigma = np.full((5, 3), 0.5)
        mean, std = predictive_moments(mu, sigma)
        assert mean.shape == std.shape == (3,)
        np.testing.assert_allclose(mean, [6.0, 7.0, 8.0])
        np.testing.assert_allclose(std, np.sqrt(0.25 + 18.0))  # population variance of 0, 3, ..., 12 is 18

    def test_nll_crps_picp_reference_values(self):
        assert gaussian_nll([0.0], [0.0], [1.0]) == pytest.approx(0.5 * math.log(2 * math.pi))
        assert gaussian_nll([1.0], [0.0], [2.0]) == pytest.approx(0.5 * math.log(8 * math.pi) + 1 / 8)
        three = gaussian_nll([0.0, 1.0, 3.0], [0.0] * 3, [1.0] * 3)
        assert three == pytest.approx(0.5 * math.log(2 * math.pi) + 10 / 6)  # a mean, not a sum
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

    def test_the_true_std_ranks_errors_only_partly(self):
        x, y = make_wave(20000, seed=7)
        rho = error_std_spearman(y, wave_mean(x[:, 0]), wave_noise_std(x[:, 0]))
        assert 0.4 < rho < 0.6  # REFERENCES.md: about 0.48; far from 1

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


class TestRetention:
    def test_keeps_the_smallest_stds_and_returns_their_rmse(self):
        errors = np.array([3.0, -1.0, 2.0, 0.5, -4.0])
        stds = np.array([0.9, 0.1, 0.5, 0.2, 1.5])
        curve = retention_curve(errors, stds, [0.2, 0.5, 1.0])  # keep 1, ceil(2.5) = 3, 5 points
        np.testing.assert_allclose(curve, [1.0, math.sqrt((1 + 0.25 + 4) / 3), math.sqrt(30.25 / 5)])

    def test_ties_keep_the_original_order(self):
        curve = retention_curve([1.0, 2.0, 3.0, 4.0], [0.7, 0.7, 0.7, 0.7], [0.25, 0.5])
        np.testing.assert_allclose(curve, [1.0, math.sqrt(2.5)])

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (([1.0, 2.0], [0.1], [0.5]), "same length"),
            (([1.0, 2.0], [0.1, 0.2], [0.0]), "fraction must lie in"),
            (([1.0, 2.0], [0.1, 0.2], [1.5]), "fraction must lie in"),
            (([1.0, 2.0], [0.1, -0.2], [0.5]), "stds must be non-negative"),
        ],
    )
    def test_bad_input_is_named(self, args, message):
        with pytest.raises(ValueError, match=message):
            retention_curve(*args)

    def test_scale_mismatch_at_the_reporters_init(self):
        assert scale_mismatch_per_weight(0.01) == pytest.approx(math.log(100) - 0.5, abs=1e-4)
        assert scale_mismatch_per_weight(1.0) == pytest.approx(0.0)


class TestTreatments:
    def test_floor_chosen_on_validation(self):
        rng = np.random.default_rng(3)
        y = rng.normal(scale=0.5, size=4000)
        floor, nlls = choose_std_floor(y, np.zeros_like(y), np.full_like(y, 0.1), [0.0, 0.25, 0.5, 1.0])
        assert floor == 0.5 and set(nlls) == {0.0, 0.25, 0.5, 1.0}
        np.testing.assert_array_equal(apply_std_floor([0.1, 0.7], 0.5), [0.5, 0.7])
        with pytest.raises(ValueError, match="floor must be a non-negative number"):
            apply_std_floor([0.1], -1.0)


class TestModels:
    def test_reporter_head_cannot_go_below_the_floor(self):
        from dlclinic.bnn_uncertainty.models import build_bnn
        from dlclinic.bnn_uncertainty.training import fit, sample_predictions
        from dlclinic.seeding import seed_everything

        split = wave_split(60, 20, 40, seed=3)
        seed_everything(0)
        reporter = build_bnn(1, 60, hidden=(4,), last_activation="relu")
        history = fit(reporter, split.x_train, split.y_train, steps=20)
        assert history.nll.shape == history.kl.shape == (20,) and np.all(history.kl > 0)
        mu, sigma = sample_predictions(reporter, split.x_test, n_samples=3)
        assert mu.shape == sigma.shape == (3, 40)
        assert not np.allclose(mu[0], mu[1]), "each pass draws new weights"
        assert sigma.min() >= std_floor(1e-3, 0.01) - 1e-6
        with pytest.raises(ValueError, match="kl_weight must be a positive number"):
            build_bnn(1, 60, kl_weight=0.0)
        with pytest.raises(ValueError, match="last_activation must be one of"):
            build_bnn(1, 60, last_activation="sigmoid")
        with pytest.raises(ValueError, match="prior must be one of"):
            build_bnn(1, 60, prior="flat")

    def test_kl_parts_add_up_to_the_exact_kl(self):
        from dlclinic.bnn_uncertainty.diagnosis import kl_parts
        from dlclinic.bnn_uncertainty.models import build_bnn
        from dlclinic.bnn_uncertainty.probability import tfd, tfp

        model = build_bnn(1, 50, hidden=(3,))
        model(np.zeros((1, 1), dtype="float32"))
        parts = kl_parts(model)
        exact = sum(float(tfd.kl_divergence(layer._posterior(0.0), layer._prior(0.0)))
                    for layer in model.layers if isinstance(layer, tfp.layers.DenseVariational))
        assert parts["n_weights"] == (1 * 3 + 3) + (3 * 2 + 2)
        assert parts["total"] == pytest.approx(exact, rel=1e-4)
        assert parts["weighted_total"] == pytest.approx(exact / 50, rel=1e-4)
        assert parts["scale_part"] / parts["n_weights"] == pytest.approx(math.log(100) - 0.5, rel=0.01)
        with pytest.raises(ValueError, match="DenseVariational"):
            from dlclinic.bnn_uncertainty.models import build_gaussian_net

            kl_parts(build_gaussian_net(1, (3,)))

    def test_relu_on_scale_clips_only_the_scale_unit(self):
        from dlclinic.bnn_uncertainty.models import relu_on_scale

        np.testing.assert_array_equal(relu_on_scale(np.array([[-2.0, -3.0], [1.0, 4.0]], dtype="float32")).numpy(),
                                      [[-2.0, 0.0], [1.0, 4.0]])

    def test_training_is_deterministic_for_a_seed(self):
        from dlclinic.bnn_uncertainty.experiment import train

        split = wave_split(40, 10, 20, seed=4)
        first, second = (train("mc_dropout", split, steps=10, seed=5, hidden=(4,), n_samples=3) for _ in range(2))
        np.testing.assert_array_equal(first.test.mean, second.test.mean)
        assert first.val.mean.shape == (10,) and first.test.std.shape == (20,)
        assert np.any(first.test.epistemic > 0), "dropout masks differ between passes"
        with pytest.raises(ValueError, match="name must be one of"):
            train("bayes", split, steps=1, seed=0)


def check_metric_keys(metrics: dict) -> None:
    assert set(metrics) >= METRIC_KEYS, METRIC_KEYS - set(metrics)
    assert set(metrics["oracle"]) >= {"nll", "crps", "picp95", "spearman"}
    assert set(metrics["retention"]) >= RETENTION_MODELS
    for model in RETENTION_MODELS:
        assert set(metrics["retention"][model]) == {"0.25", "0.5", "0.75", "1.0"}, model
    for ablation in metrics["floor_ablation"].values():
        assert set(ablation) == {"min_std", "nll"}
    assert set(metrics["chosen_floor"]) == {"floor", "nll", "picp95"}


def test_committed_full_record_has_the_metric_keys():
    if not FULL_RECORD.is_file():
        pytest.skip("no full run recorded yet")
    record = json.loads(FULL_RECORD.read_text(encoding="utf-8"))
    check_metric_keys(record)
    assert record["settings"]["quick"] is False and record["settings"]["seeds"] == 3


@pytest.mark.slow
def test_quick_run_shows_the_floor_and_the_fix(quick_run):
    build, done = quick_run("04-bnn-uncertainty")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / "04-bnn-uncertainty.json")
    check_metric_keys(metrics)
    for dataset in ["synthetic", "diabetes"]:
        for name in ["reporter", "fixed", "mc_dropout", "deep_ensemble"]:
            assert set(metrics[dataset][name]) >= {"nll", "crps", "rmse", "picp95", "min_std"}, (dataset, name)
    synthetic = metrics["synthetic"]
    assert synthetic["reporter"]["min_std"] >= 0.69, "the symptom: no std below the floor"
    assert metrics["diabetes"]["reporter"]["min_std"] >= 0.69
    assert synthetic["fixed"]["min_std"] < 0.6 * synthetic["reporter"]["min_std"], "the fix goes far below it"
    assert synthetic["fixed"]["nll"] < synthetic["reporter"]["nll"]
    assert metrics["oracle"]["nll"] < synthetic["fixed"]["nll"]
    assert 0.3 < metrics["oracle"]["spearman"] < 0.7
    assert metrics["retention"]["oracle"]["0.25"] < metrics["retention"]["oracle"]["1.0"]
    if FULL_RECORD.is_file():
        record = json.loads(FULL_RECORD.read_text(encoding="utf-8"))
        assert set(record) - {"run"} == set(metrics), "the committed full record has the same keys"

"""Unit tests for Case 4's package: data, the floor and KL weight, scores, diagnosis, models and training."""

import math

import numpy as np
import pytest
from full_record_keys import assert_same_keys_as_full_record, committed_full_record

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
from dlclinic.bnn_uncertainty.treatments import apply_std_floor, choose_std_floor, constant_std, sigma_scale
from dlclinic.metrics_json import read_metrics

SLUG = "04-bnn-uncertainty"
METRIC_KEYS = {"settings", "oracle", "diagnosis", "differential", "evidence", "fix_long", "kl", "own_mean_oracle",
               "retention", "prediction_rejection_ratio", "sigma_scaling", "diabetes", "synthetic", "headline"}
FILTERED_MODELS = {"reporter", "fix", "fix_scaled", "mc_dropout", "ensemble", "knn", "oracle"}
ROW_FIELDS = {"value", "spread", "seeds", "learning_rate", "grid", "edge", "converged", "degenerate", "verdict"}


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

    def test_fit_in_chunks_continues_the_same_training(self):
        from dlclinic.bnn_uncertainty.models import build_bnn
        from dlclinic.bnn_uncertainty.training import fit
        from dlclinic.seeding import seed_everything

        split = wave_split(40, 10, 20, seed=4)
        weights = []
        for chunks in ([30], [10, 20]):
            seed_everything(1)
            model = build_bnn(1, 40, hidden=(4,))
            model.compile(optimizer=__import__("tf_keras").optimizers.Adam(0.01), loss=lambda y, d: -d.log_prob(y))
            histories = [fit(model, split.x_train, split.y_train, steps=c) for c in chunks]
            assert sum(len(h.nll) for h in histories) == 30
            weights.append(model.get_weights())
        assert all(np.array_equal(a, b) for a, b in zip(*weights, strict=True))


class TestRuns:
    def test_runs_record_window_means_and_share_ensemble_members(self):
        from dlclinic.bnn_uncertainty.experiment import Runs, as_fit, checkpoint_steps
        from dlclinic.bnn_uncertainty.models import build_gaussian_net

        split = wave_split(40, 12, 20, seed=4)
        runs = Runs(split, steps=20, n_samples=3, checkpoints=5, per_window=2)
        make = lambda rate: build_gaussian_net(1, (4,))  # noqa: E731
        outcome = runs.outcome("plain", make, 0.01, 0)
        assert outcome.steps == [4, 8, 12, 16, 20] == checkpoint_steps(20, 5)
        assert len(outcome.evals) == 10 and len(outcome.tests) == 5 and len(outcome.history.nll) == 20
        by_eval = [gaussian_nll(split.y_val, p.mean, p.std) for p in outcome.evals]
        assert outcome.val_nll[0] == pytest.approx(np.mean(by_eval[:2]))
        fit = as_fit(outcome, split, 0, 0.01)
        assert fit.test["test NLL"] == pytest.approx(gaussian_nll(split.y_test, outcome.test.mean, outcome.test.std))
        assert fit.final == outcome.val_nll[-1] and not fit.constant
        ensemble = runs.ensemble("plain", make, size=2)(0.01, 0)
        assert set(runs.done) == {("plain", 0.01, 0), ("plain", 0.01, 1000)}, "member 0 is the member row's run"
        assert ensemble.detail.test.std.shape == (20,) and np.all(ensemble.detail.test.std > 0)
        with pytest.raises(ValueError, match="checkpoints"):
            checkpoint_steps(3, 5)
        with pytest.raises(ValueError, match="needs a learning rate"):
            runs.ensemble("plain", make)(None, 0)

    def test_mixture_of_predictions_adds_the_spread_of_the_means(self):
        from dlclinic.bnn_uncertainty.experiment import Prediction

        one = Prediction(np.array([0.0]), np.array([1.0]), np.array([1.0]), np.array([0.0]))
        two = Prediction(np.array([2.0]), np.array([1.0]), np.array([1.0]), np.array([0.0]))
        mixed = Prediction.mix([one, two])
        np.testing.assert_allclose([mixed.mean[0], mixed.std[0], mixed.aleatoric[0], mixed.epistemic[0]],
                                   [1.0, math.sqrt(2.0), 1.0, 1.0])
        samples = Prediction.from_samples(np.array([[0.0], [2.0]]), np.array([[1.0], [1.0]]))
        np.testing.assert_allclose(samples.std, mixed.std)


class TestFiltering:
    def test_own_mean_oracle_std_adds_the_mean_error(self):
        from dlclinic.bnn_uncertainty.filtering import own_mean_oracle_std

        np.testing.assert_allclose(own_mean_oracle_std([0.0, 1.0], [0.3, 0.4], [0.4, 1.0]), [0.5, 0.4])
        with pytest.raises(ValueError, match="true_std must be positive"):
            own_mean_oracle_std([0.0], [0.0], [0.0])

    def test_the_own_mean_oracle_minimises_the_expected_nll_for_that_mean(self):
        from dlclinic.bnn_uncertainty.filtering import own_mean_oracle_std

        rng = np.random.default_rng(5)
        y = 1.0 + 0.5 * rng.normal(size=200000)
        best = own_mean_oracle_std([1.0], [0.5], [1.3])[0]
        nll = {s: gaussian_nll(y, np.full_like(y, 1.3), np.full_like(y, s)) for s in (0.8 * best, best, 1.25 * best)}
        assert min(nll, key=nll.get) == best

    def test_curves_and_the_rejection_ratio(self):
        from dlclinic.bnn_uncertainty.filtering import error_sorted_curve, random_curve, rejection_ratio

        errors = np.array([3.0, -1.0, 2.0, 0.5])
        fractions = [0.25, 0.5, 1.0]
        best = error_sorted_curve(errors, fractions)
        np.testing.assert_allclose(best, [0.5, math.sqrt(1.25 / 2), math.sqrt(14.25 / 4)])
        chance = random_curve(errors, fractions)
        np.testing.assert_allclose(chance, math.sqrt(14.25 / 4))
        assert rejection_ratio(best, best, chance) == pytest.approx(1.0)
        assert rejection_ratio(chance, best, chance) == pytest.approx(0.0)
        worst = retention_curve(errors, -np.abs(errors) + 10, fractions)
        assert rejection_ratio(worst, best, chance) < 0
        with pytest.raises(ValueError, match="rank nothing"):
            rejection_ratio([1.0, 1.0], [1.0, 1.0], [1.0, 1.0])

    def test_report_of_a_model_that_knows_its_errors(self):
        from dlclinic.bnn_uncertainty.filtering import filtering_report

        rng = np.random.default_rng(6)
        true_mean, true_std = np.zeros(400), rng.uniform(0.1, 1.0, size=400)
        y = true_mean + true_std * rng.normal(size=400)
        report = filtering_report(y, true_mean, true_std, true_mean, true_std)
        assert report["nll"] == pytest.approx(report["own_oracle_nll"])
        assert report["prr"] == pytest.approx(report["own_oracle_prr"]) and 0 < report["prr"] < 1
        flat = filtering_report(y, true_mean, np.full(400, 0.5), true_mean, true_std)
        assert abs(flat["prr"]) < 0.1 and flat["prr"] < report["prr"] - 0.3 and flat["nll"] > report["nll"]
        assert set(report["curves"]) == {"model", "own_oracle", "error_sorted", "random"}


class TestRecalibration:
    def test_sigma_scale_and_constant_std_minimise_the_validation_nll(self):
        rng = np.random.default_rng(7)
        std = rng.uniform(0.2, 1.0, size=5000)
        y = 2.0 * std * rng.normal(size=5000)
        factor = sigma_scale(y, np.zeros_like(y), std)
        assert factor == pytest.approx(2.0, rel=0.05)
        nll = {c: gaussian_nll(y, np.zeros_like(y), c * std) for c in (0.9 * factor, factor, 1.1 * factor)}
        assert min(nll, key=nll.get) == factor
        assert constant_std(y, np.zeros_like(y)) == pytest.approx(float(np.sqrt(np.mean(y**2))))
        with pytest.raises(ValueError, match="std_val must be positive"):
            sigma_scale([0.0], [0.0], [0.0])

    def test_recalibrate_changes_only_the_final_test_std(self):
        from dlclinic.bnn_uncertainty.experiment import Outcome, Prediction
        from dlclinic.bnn_uncertainty.training import History
        from dlclinic.bnn_uncertainty.treatments import recalibrate

        split = wave_split(20, 50, 30, seed=1)
        val = Prediction(split.y_val.astype(float), np.full(50, 0.1), np.full(50, 0.1), np.zeros(50))
        test = Prediction(split.y_test.astype(float) + 0.3, np.full(30, 0.1), np.full(30, 0.1), np.zeros(30))
        outcome = Outcome([1], [0.0], [0.0], [val], [test], val, test, History(np.zeros(1), np.zeros(1)))
        val.mean = val.mean + 0.2  # every validation residual is -0.2: sigma-scaling by 2, constant std 0.2
        scaled = recalibrate(outcome, split, "sigma")
        np.testing.assert_allclose(scaled.test.std, 0.2)
        assert scaled.recalibration == {"how": "sigma", "value": pytest.approx(2.0)}
        np.testing.assert_allclose(recalibrate(outcome, split, "constant").test.std, 0.2)
        assert recalibrate(outcome, split, "floor").test.std.min() == pytest.approx(0.2)
        assert outcome.test.std[0] == 0.1, "the original run is left as it was"
        with pytest.raises(ValueError, match="how must be one of"):
            recalibrate(outcome, split, "isotonic")


class TestBaselines:
    def test_knn_and_constant_gaussians(self):
        from dlclinic.bnn_uncertainty.baselines import choose_k, constant_gaussian, knn_gaussian

        x = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
        y = np.array([1.0, 2.0, 3.0, 10.0, 12.0])
        mean, std = knn_gaussian(x, y, np.array([[0.4], [10.6]]), k=2)
        np.testing.assert_allclose(mean, [1.5, 11.0])
        np.testing.assert_allclose(std, [math.sqrt(0.5), math.sqrt(2.0)])
        mean, std = constant_gaussian(y, 3)
        np.testing.assert_allclose(mean, np.full(3, y.mean()))
        np.testing.assert_allclose(std, np.full(3, y.std()))
        k, nlls = choose_k(x, y, np.array([[0.5], [10.5]]), np.array([1.5, 11.0]), [2, 5])
        assert k == 2 and set(nlls) == {2, 5}
        with pytest.raises(ValueError, match="k must lie between 2"):
            knn_gaussian(x, y, x, k=6)
        with pytest.raises(ValueError, match="do not fit together"):
            knn_gaussian(x, y, np.zeros((1, 2)), k=2)


def record_of(rows: dict) -> dict:
    from dlclinic.differential import Differential, Fit, Metric

    table = Differential(Metric("test NLL", lower_is_better=True, floor=0.02, log_scale=True))
    for name, (values, reference) in rows.items():
        by_seed = dict(enumerate(values))
        table.train(name, f"the {name}", lambda rate, seed, by_seed=by_seed: Fit(
            seed, rate, [1, 2, 3, 4, 5], [1.0] * 5, {"test NLL": by_seed[seed]}), list(range(len(values))),
            reference=reference)
    return table.record()


class TestEvidence:
    def test_differences_in_nats_with_paired_standard_errors(self):
        from dlclinic.bnn_uncertainty.evidence import in_nats, paired, verdict_of

        record = record_of({"reporter": ([1.00, 1.10, 0.90], None), "fix": ([0.80, 0.91, 0.69], "reporter"),
                            "same": ([1.01, 1.09, 0.91], "reporter")})
        gain, error, seeds = paired(record, "fix", "reporter")
        assert gain == pytest.approx(0.2) and seeds == 3
        assert error == pytest.approx(np.std([0.2, 0.19, 0.21], ddof=1) / math.sqrt(3))
        text = in_nats(record, "fix", "reporter")
        assert text.startswith("the fix (0.800 ± 0.11, 3 seeds) beats the reporter") and "Δ = +0.200 nats" in text
        assert "paired SE 0.006" in text and "×" not in text, "a log score: no ratio"
        assert verdict_of(record, "same").startswith("ties with the reporter (-0.003 nats")

    def test_no_verb_against_a_degenerate_row(self):
        from dlclinic.bnn_uncertainty.evidence import in_nats

        record = record_of({"reporter": ([1.00, 1.10, 0.90], None), "fix": ([0.80, 0.91, 0.69], "reporter")})
        record["rows"][0] |= {"degenerate": True, "why_degenerate": "constant output"}
        text = in_nats(record, "fix", "reporter")
        assert "is not compared with the reporter" in text and "degenerate (constant output)" in text
        assert not any(verb in text for verb in (" beats ", " ties ", " loses to "))

    def test_filtering_entries_and_subsets(self):
        from dlclinic.bnn_uncertainty.evidence import filtering_entries, subset
        from dlclinic.bnn_uncertainty.experiment import Prediction

        split = wave_split(20, 10, 200, seed=2)
        true_mean = split.to_units(wave_mean(split.x_test_raw[:, 0]))
        true_std = wave_noise_std(split.x_test_raw[:, 0]) / split.y_scale
        flat = Prediction(true_mean + 0.1, np.full(200, 0.5), np.full(200, 0.5), np.zeros(200))
        own, retention, ratio = filtering_entries({"flat": [flat, flat]}, split, true_mean, true_std)
        assert set(own) == set(retention) == set(ratio) == {"flat", "oracle"}
        assert own["oracle"]["std_cost"]["value"] == pytest.approx(0.0)
        assert own["flat"]["std_cost"]["value"] > 0 and own["flat"]["mean_cost"]["value"] > 0
        assert retention["flat"]["seeds"] == 2
        assert len(retention["flat"]["model"]) == len(retention["flat"]["fractions"])
        assert abs(ratio["flat"]["model"]["value"]) < 0.1, "one std for every point ranks (almost) nothing"
        record = record_of({"a": ([1.0, 1.1], None), "b": ([0.9, 1.0], "a")})
        assert [row["name"] for row in subset(record, ["b", "missing"])["rows"]] == ["b"]


def check_metric_keys(metrics: dict) -> None:
    assert set(metrics) >= METRIC_KEYS, METRIC_KEYS - set(metrics)
    assert set(metrics["oracle"]) >= {"nll", "crps", "picp95", "spearman"}
    for key in ("own_mean_oracle", "retention", "prediction_rejection_ratio"):
        assert set(metrics[key]) == FILTERED_MODELS, key
    for entry in metrics["retention"].values():
        assert {"model", "own_oracle", "error_sorted", "random", "fractions"} <= set(entry)
    assert {"steps", "nll", "weighted_kl", "by_rate", "learning_rate"} <= set(metrics["fix_long"])
    assert {"reporter", "fix", "mc_dropout", "ensemble"} <= set(metrics["sigma_scaling"])
    assert {"learning_rate", "seeds"} <= set(metrics["diabetes"]["ensemble"])
    for record in (metrics["differential"], metrics["diabetes"]["differential"]):
        for row in record["rows"]:
            assert ROW_FIELDS <= set(row), row["name"]


def test_committed_full_record_has_the_metric_keys():
    record = committed_full_record(SLUG)
    check_metric_keys(record)
    assert record["settings"]["quick"] is False and record["settings"]["seeds"] == 3
    rows = record["differential"]["rows"] + record["diabetes"]["differential"]["rows"]
    assert all(row["seeds"] >= 3 for row in rows if row["kind"] == "trained"), "every verdict row has 3 seeds"
    assert len(record["differential"]["rows"][0]["grid"]) >= 5


@pytest.mark.slow
def test_quick_run_shows_the_floor_and_the_fix(quick_run):
    build, done = quick_run(SLUG)
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / f"{SLUG}.json")
    check_metric_keys(metrics)
    assert metrics["diagnosis"]["reporter_min_std"] >= 0.69, "the symptom: no std below the floor"
    rows = {row["name"]: row for row in metrics["differential"]["rows"]}
    assert rows["reporter"]["others"]["min_std"]["value"] >= 0.69
    assert rows["fix"]["others"]["min_std"]["value"] < 0.6 * rows["reporter"]["others"]["min_std"]["value"]
    assert rows["fix"]["value"] < rows["reporter"]["value"] - 0.1, "the fix is better by more than 0.1 nats"
    assert metrics["oracle"]["nll"] < rows["fix"]["value"]
    assert 0.3 < metrics["oracle"]["spearman"] < 0.7
    own = metrics["own_mean_oracle"]
    assert own["fix"]["own_oracle_nll"]["value"] <= own["fix"]["nll"]["value"]
    assert metrics["prediction_rejection_ratio"]["fix"]["model"]["value"] > 0
    assert_same_keys_as_full_record(metrics, SLUG)


class TestPatientsAndRidge:
    def test_a_saved_patient_loads_with_its_weights_and_points(self, tmp_path):
        from dlclinic.bnn_uncertainty.models import build_bnn
        from dlclinic.bnn_uncertainty.patients import load_patient, save_patient
        from dlclinic.seeding import seed_everything

        split = wave_split(30, 12, 10, seed=3)
        arguments = {"n_features": 1, "n_train": 30, "hidden": [4], "last_activation": "relu", "head_offset": 0.01}
        seed_everything(0)
        model = build_bnn(**arguments)
        path = save_patient(tmp_path / "patient_x.npz", model, arguments, split.x_val, split.y_val)
        patient = load_patient(path)
        assert patient.name == "patient_x" and patient.x_val.shape == (12, 1) and patient.y_val.shape == (12,)
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), patient.model.get_weights(), strict=True))
        assert patient.model.layers[-2].activation.__name__ == "relu"
        with pytest.raises(ValueError, match="unknown"):
            save_patient(tmp_path / "bad.npz", model, {"colour": "red"}, split.x_val, split.y_val)
        with pytest.raises(ValueError, match="no patient file"):
            load_patient(tmp_path / "missing.npz")

    def test_the_ridge_data_depend_on_one_direction(self):
        from dlclinic.bnn_uncertainty.data import make_ridge, ridge_mean_std

        x, y = make_ridge(4000, seed=1)
        assert x.shape == (4000, 8) and y.shape == (4000,) and x.dtype == np.float32
        mean, std = ridge_mean_std(x)
        residual = (y - mean) / std
        assert abs(residual.mean()) < 0.05 and residual.std() == pytest.approx(1.0, abs=0.05)
        assert 0.1 < std.min() and std.max() < 0.6
        np.testing.assert_array_equal(make_ridge(5, seed=2)[1], make_ridge(5, seed=2)[1])
        with pytest.raises(ValueError, match="shape"):
            ridge_mean_std(np.zeros((3, 2)))

"""Unit tests for Case 1's package: the lectures, the metrics (against nltk), the imbalance tools, TextTiling."""

import subprocess
import sys

import numpy as np
import pytest
from full_record_keys import assert_same_keys_as_full_record, committed_full_record
from nltk.metrics import segmentation as nltk_segmentation
from sklearn.metrics import f1_score
from sklearn.utils.class_weight import compute_class_weight

from dlclinic.metrics_json import read_metrics
from dlclinic.transcript_segmentation.baselines import constant, cosine_gap_scores, random_boundaries, texttiling
from dlclinic.transcript_segmentation.corpus import SNAPSHOT, read_snapshot, sentences_of, topic_sentences
from dlclinic.transcript_segmentation.data import CUE_PHRASES, make_documents, split_topics
from dlclinic.transcript_segmentation.diagnosis import flip_weight, threshold_rate
from dlclinic.transcript_segmentation.embeddings import TfidfSvdEncoder, load_universal_sentence_encoder
from dlclinic.transcript_segmentation.features import gap_features
from dlclinic.transcript_segmentation.metrics import (
    as_labels,
    boundary_prf,
    default_k,
    pk,
    segmentation_scores,
    windowdiff,
)
from dlclinic.transcript_segmentation.models import pad_documents
from dlclinic.transcript_segmentation.treatments import best_threshold, class_weights, output_bias_init


def as_string(labels):
    return "".join(str(int(v)) for v in labels)


class TestLectures:
    def test_corpus_is_prose_and_topics_are_disjoint(self):
        topics = topic_sentences()
        assert len(topics) >= 40
        assert all(len(s) >= 16 for s in topics.values())
        assert not any(">>>" in s or "==" in s for text in topics.values() for s in text)
        split = split_topics(0)
        assert not set(split["train"]) & set(split["test"]) and not set(split["val"]) & set(split["test"])
        assert sorted(split["train"] + split["val"] + split["test"]) == sorted(topics)

    def test_the_frozen_snapshot_is_what_the_lectures_read(self):
        frozen = read_snapshot(SNAPSHOT)
        assert SNAPSHOT.stat().st_size < 200_000 and len(frozen) >= 40
        assert topic_sentences() == frozen
        docs = make_documents(3, split_topics(0)["train"], seed=2)
        every = {s for text in frozen.values() for s in text}
        assert all(s in every for doc in docs.sentences for s in doc)

    def test_freeze_command_rebuilds_the_snapshot(self, tmp_path):
        # a fresh process: modules imported by others (Keras) add members, and docstrings, to some stdlib modules
        out = tmp_path / "corpus.json.gz"
        module = "dlclinic.transcript_segmentation.corpus"
        done = subprocess.run([sys.executable, "-m", module, "--freeze", "--output", str(out)], capture_output=True)
        assert done.returncode == 0, done.stderr
        if sys.version_info[:2] == (3, 11):  # the snapshot was frozen from Python 3.11's docstrings
            assert out.read_bytes() == SNAPSHOT.read_bytes()
        else:
            assert len(read_snapshot(out)) >= 40

    def test_sentence_splitter_drops_code_and_fragments(self):
        text = "This sentence has more than six words in it. Short one.\n\n>>> x = 1\nThis line is code-like too."
        assert sentences_of(text) == ["This sentence has more than six words in it."]

    def test_boundary_rate_segments_and_determinism(self):
        topics = split_topics(0)["train"]
        docs = make_documents(40, topics, seed=3)
        assert 0.08 < docs.boundary_rate < 0.12  # the reporter's 90/10
        again = make_documents(40, topics, seed=3)
        assert docs.sentences == again.sentences
        assert all(np.array_equal(a, b) for a, b in zip(docs.labels, again.labels, strict=True))
        assert docs.sentences != make_documents(40, topics, seed=4).sentences
        for labels, names, sentences in zip(docs.labels, docs.topics, docs.sentences, strict=True):
            assert labels[0] == 0 and labels.sum() == 9 and len(sentences) == len(labels)
            starts = np.r_[0, np.flatnonzero(labels), len(labels)]
            assert np.diff(starts).min() >= 3 and np.diff(starts).max() <= 15  # no empty or short segments
            assert all(a != b for a, b in zip(names[:-1], names[1:], strict=True))

    def test_cue_phrases_at_a_controlled_rate_keep_the_lectures(self):
        topics = split_topics(0)["train"]
        plain = make_documents(60, topics, seed=3)
        cued = make_documents(60, topics, seed=3, cue_rate=0.5)
        assert plain.sentences == make_documents(60, topics, seed=3, cue_rate=0.0).sentences
        assert all(np.array_equal(a, b) for a, b in zip(plain.labels, cued.labels, strict=True))
        labels = np.concatenate(cued.labels)
        flat_plain = [s for doc in plain.sentences for s in doc]
        flat_cued = [s for doc in cued.sentences for s in doc]
        has_cue = np.array([c != p for c, p in zip(flat_cued, flat_plain, strict=True)])
        assert all(
            any(c == f"{q} {p}" for q in CUE_PHRASES)
            for c, p in zip(np.array(flat_cued)[has_cue], np.array(flat_plain)[has_cue], strict=True)
        )
        assert 0.4 < has_cue[labels == 1].mean() < 0.6  # cue_rate at the boundaries
        assert 0.03 < has_cue[labels == 0].mean() < 0.07  # a tenth of it elsewhere
        with pytest.raises(ValueError, match="cue_rate"):
            make_documents(2, topics, cue_rate=1.5)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="at least two corpus topics"):
            make_documents(2, ["not-a-module"])
        with pytest.raises(ValueError, match="min_length"):
            make_documents(2, split_topics(0)["train"], min_length=5, max_length=4)


class TestMetrics:
    def test_match_nltk_on_random_sequences(self):
        rng = np.random.default_rng(0)
        for _ in range(300):
            n = int(rng.integers(1, 70))
            ref = (rng.random(n) < rng.uniform(0, 0.4)).astype(int)
            hyp = (rng.random(n) < rng.uniform(0, 0.6)).astype(int)
            r, h = as_string(ref), as_string(hyp)
            assert pk(ref, hyp) == pytest.approx(nltk_segmentation.pk(r, h), abs=1e-12)
            k = int(rng.integers(0, n + 1))
            assert pk(r, list(hyp), k) == pytest.approx(nltk_segmentation.pk(r, h, k), abs=1e-12)
            assert windowdiff(ref, h, k) == pytest.approx(nltk_segmentation.windowdiff(r, h, k), abs=1e-12)
            assert windowdiff(ref, hyp) == pytest.approx(nltk_segmentation.windowdiff(r, h, default_k(ref)))

    def test_nltk_doc_examples(self):  # REFERENCES.md, Case 1
        assert f"{pk('0100' * 100, '1' * 400, 2):.2f}" == "0.50"
        assert windowdiff("000100000010", "000010000100", 3) == pytest.approx(0.3)
        assert windowdiff("000010000100", "100000010000", 3) == pytest.approx(0.8)

    def test_off_by_one_has_zero_f1_but_a_good_pk(self):
        ref = np.zeros(100, dtype=int)
        ref[[10, 20, 30, 40, 50, 60, 70, 80, 90]] = 1
        late = np.roll(ref, 1)
        assert boundary_prf(ref, late)["f1"] == 0
        assert pk(ref, late) < 0.25 < pk(ref, np.zeros_like(ref))

    def test_boundary_prf_matches_sklearn_and_scores_pool_documents(self):
        rng = np.random.default_rng(1)
        ref, hyp = (rng.random(200) < 0.1).astype(int), (rng.random(200) < 0.2).astype(int)
        assert boundary_prf(ref, hyp)["f1"] == pytest.approx(f1_score(ref, hyp))
        s = segmentation_scores([ref[:100], ref[100:]], [hyp[:100], hyp[100:]])
        assert set(s) == {"pk", "windowdiff", "f1", "pr_auc"}
        assert s["f1"] == pytest.approx(f1_score(ref, hyp))

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("0102", "0000"), "string of '0' and '1'"),
            (([0, 1], [0, 1, 0]), "same length"),
            (([[0, 1]], [[0, 1]]), "1-D"),
            (("0101", "0101", 9), "k must be"),
        ],
    )
    def test_bad_input_is_named_in_the_error(self, args, message):
        with pytest.raises(ValueError, match=message):
            pk(*args)

    def test_as_labels_accepts_strings_lists_and_arrays(self):
        for value in ("0110", [0, 1, 1, 0], np.array([0, 1, 1, 0])):
            np.testing.assert_array_equal(as_labels("x", value), [0, 1, 1, 0])


class TestImbalanceTools:
    def test_class_weights_are_sklearns_balanced(self):
        y = np.r_[np.zeros(90), np.ones(10)]
        w = class_weights(y)
        assert w == pytest.approx({0: 100 / 180, 1: 5.0})  # REFERENCES.md: 0.556 and 5.0 at 10%
        assert [w[0], w[1]] == pytest.approx(compute_class_weight("balanced", classes=np.array([0, 1]), y=y))
        with pytest.raises(ValueError, match="both classes"):
            class_weights(np.zeros(5))

    def test_output_bias_init_is_the_log_odds(self):
        assert output_bias_init(np.r_[np.zeros(90), np.ones(10)]) == pytest.approx(-2.1972, abs=1e-4)
        with pytest.raises(ValueError, match="only 0 and 1"):
            output_bias_init([0, 2])

    def test_best_threshold_maximises_f1(self):
        rng = np.random.default_rng(2)
        y = (rng.random(300) < 0.1).astype(int)
        s = np.clip(0.1 + 0.2 * y + rng.normal(0, 0.1, 300), 0, 1).round(2)
        t = best_threshold(y, s)
        best = max(f1_score(y, s >= c) for c in np.unique(s))
        assert f1_score(y, s >= t) == pytest.approx(best)
        assert best_threshold([0, 0, 1, 1, 0, 1, 0, 0], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.05, 0.3]) == 0.35
        with pytest.raises(ValueError, match="same shape"):
            best_threshold([0, 1], [0.5])


class TestDiagnosis:
    def test_flip_weight_takes_the_largest_threshold_that_reaches_the_base_rate(self):
        s = [0.05, 0.2, 0.2, 0.6, 0.1, 0.3, 0.0, 0.9]
        assert flip_weight(s, 0.3) == pytest.approx(0.7 / 0.3)  # t = 0.3 keeps 3 of 8
        assert flip_weight(s, 0.5) == pytest.approx(4.0)  # t = 0.2: the tie keeps 5 of 8
        assert flip_weight([0.0, 0.0, 0.1], 0.5) == float("inf")
        assert flip_weight([1.0, 0.2, 0.1], 0.3) == 0.0
        assert type(flip_weight(np.array(s), 0.5)) is float
        rng = np.random.default_rng(0)
        for _ in range(50):
            scores, rate = rng.beta(0.5, 3, 200).round(2), float(rng.uniform(0.01, 0.9))
            w = flip_weight(scores, rate)
            t = 1 / (1 + w)  # the cut, up to rounding
            assert np.mean(scores >= t - 1e-9) >= rate > np.mean(scores > t + 1e-9)

    @pytest.mark.parametrize(
        ("scores", "rate", "message"),
        [
            ([], 0.1, "at least one"),
            ([0.2, 1.2], 0.1, r"\[0, 1\]"),
            ([0.2], 0.0, "open interval"),
            ([0.2], 1.0, "open interval"),
        ],
    )
    def test_flip_weight_bad_input(self, scores, rate, message):
        with pytest.raises(ValueError, match=message):
            flip_weight(scores, rate)

    def test_threshold_rate_is_the_identity_cut(self):
        assert threshold_rate([0.05, 0.1, 0.25, 0.5], 3.0) == pytest.approx(0.5)  # cut at 0.25
        with pytest.raises(ValueError, match="weight must be positive"):
            threshold_rate([0.1], 0.0)


class TestBaselinesAndFeatures:
    def test_cosine_gap_scores_peak_at_a_topic_change(self):
        e = np.vstack([np.tile([1.0, 0.0], (4, 1)), np.tile([0.0, 1.0], (4, 1))])
        for window in (1, 2):
            scores = cosine_gap_scores(e, window)
            assert scores[0] == 0 and int(np.argmax(scores)) == 4 and scores[4] == pytest.approx(1.0)

    def test_texttiling_returns_labels_and_survives_short_texts(self):
        docs = make_documents(2, split_topics(0)["test"], seed=5)
        labels = texttiling(docs.sentences[0], w=20, k=6)
        assert labels.shape == docs.labels[0].shape and set(np.unique(labels)) <= {0, 1} and labels[0] == 0
        assert not texttiling(["One short sentence here."]).any()

    @pytest.mark.parametrize(("w", "k"), [(20, 6), (10, 6), (5, 3), (3, 1)])
    def test_texttiling_scores_gaps_exactly_as_nltk(self, w, k):
        from nltk.tokenize.texttiling import TextTilingTokenizer
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        from dlclinic.transcript_segmentation.baselines import _TextTilingTokenizer

        text = "\n\n".join(make_documents(1, split_topics(0)["test"], seed=7).sentences[0])
        options = {"w": w, "k": k, "stopwords": sorted(ENGLISH_STOP_WORDS), "demo_mode": True}
        ours, nltks = _TextTilingTokenizer(**options).tokenize(text), TextTilingTokenizer(**options).tokenize(text)
        assert [list(a) for a in ours] == [list(b) for b in nltks]  # gap, smoothed and depth scores; boundaries

    def test_trivial_segmenters(self):
        assert constant(5, 1).tolist() == [1] * 5 and not constant(5, 0).any()
        assert random_boundaries(1000, 0.1, np.random.default_rng(0)).mean() == pytest.approx(0.1, abs=0.03)
        with pytest.raises(ValueError, match="value must be 0 or 1"):
            constant(3, 2)

    def test_gap_features_see_a_topic_change(self):
        e = np.vstack([np.tile([1.0, 0.0], (4, 1)), np.tile([0.0, 1.0], (4, 1))])
        f = gap_features(e, window=2)
        assert f.shape == (8, 2 + 2 + 2)
        assert f[4, -2] == pytest.approx(0.0) and f[3, -2] == pytest.approx(1.0)  # similarity across the gap
        assert f[4, -1] == pytest.approx(0.0)

    def test_encoder_and_padding(self):
        sentences = [s for text in list(topic_sentences().values())[:10] for s in text]
        vectors = TfidfSvdEncoder(8).fit(sentences).encode(sentences[:5])
        assert vectors.shape == (5, 8) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
        padded, mask = pad_documents([np.ones((2, 3)), np.ones((4, 3))])
        assert padded.shape == (2, 4, 3) and mask.sum() == 6 and not padded[0, 2:].any()

    def test_universal_sentence_encoder_is_opt_in(self):
        try:
            import tensorflow_hub  # noqa: F401
        except ImportError:
            with pytest.raises(ImportError, match="tensorflow_hub"):
                load_universal_sentence_encoder()


RECORD_KEYS = {"differential", "evidence", "peak_picked", "cosine_gap", "bow_control", "flip_weight", "encoder_fit",
               "reference", "sweep", "oversampling", "worlds", "settings", "headline", "reporter", "best",
               "strongest_baseline", "texttiling"}


def check_metric_keys(metrics):
    assert RECORD_KEYS <= set(metrics), RECORD_KEYS - set(metrics)
    assert metrics["encoder_fit"] == "train"
    assert set(metrics["flip_weight"]) >= {"theory", "measured"}
    for name, scores in metrics["peak_picked"].items():
        assert set(scores) >= {"pk", "windowdiff", "f1"}, name
    assert set(metrics["cosine_gap"]) >= {"pk", "windowdiff", "f1", "window"}
    assert set(metrics["bow_control"]) >= {"0", "0.5"} and all(
        set(entry) >= {"val_pr_auc", "pk", "windowdiff", "f1"} for entry in metrics["bow_control"].values())
    rows = {row["name"]: row for row in metrics["differential"]["rows"]}
    for name in ("reporter", "prior", "balanced", "threshold", "peaks", "fix", "bag_of_words", "bilstm", "cosine_gap",
                 "texttiling", "all_zero"):
        assert {"value", "spread", "seeds", "learning_rate", "grid", "edge", "converged", "degenerate",
                "verdict"} <= set(rows[name]), name
    assert {"fix", "best", "strongest_baseline", "fix_vs_baseline", "best_vs_baseline"} <= set(metrics["evidence"])


def test_committed_full_record_has_the_quick_keys():
    record = committed_full_record("01-transcript-segmentation")
    check_metric_keys(record)
    assert record["settings"]["quick"] is False
    rows = {row["name"]: row for row in record["differential"]["rows"] if row["kind"] == "trained"}
    assert all(row["seeds"] >= 3 for row in rows.values()), "every trained row of the full run has >= 3 seeds"
    assert all(rows[name]["seeds"] >= 5 for name in ("reporter", "fix", record["evidence"]["best"]["name"]))
    assert not [name for name, row in rows.items() if row["edge"]], "every rate pick inside its grid"


@pytest.mark.slow
def test_quick_run_shows_the_failure_and_the_fix(quick_run):
    build, done = quick_run("01-transcript-segmentation")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_metrics(build / "results" / "01-transcript-segmentation.json")
    check_metric_keys(metrics)
    assert_same_keys_as_full_record(metrics, "01-transcript-segmentation")
    assert metrics["reproduced"]["positive_rate"] < 0.05, "the symptom: the reporter's model marks (almost) nothing"
    sweep = metrics["sweep"]
    assert sweep["w1=1"]["positive_rate"] < 0.05 and sweep["w1=81"]["positive_rate"] > 0.95, "the all-0/all-1 flip"
    for curve in ("positive_rate", "threshold_rate"):  # weighted models and the cut at 1/(1+w) flip together
        assert sweep["w1=1"][curve] < 0.05 and sweep["w1=81"][curve] > 0.95, curve
    reference = metrics["reference"]
    assert abs(reference["mean_val_score"] - reference["base_rate"]) < 0.02, "the reference starts at its prior"
    assert metrics["worlds"]["0.5"]["val_pr_auc"] > metrics["worlds"]["0"]["val_pr_auc"] + 0.1, "cues are readable"
    picked = metrics["peak_picked"]
    assert picked["fix"]["pk"] < picked["peaks"]["pk"] - 0.05, "the gap's similarity is the cure"
    assert picked["cosine_gap"]["pk"] < picked["texttiling"]["pk"]


def test_training_is_deterministic_for_a_seed():
    from dlclinic.transcript_segmentation.experiment import Trainer, Variant, prepare
    from dlclinic.transcript_segmentation.models import build_sentence_classifier

    data = prepare(12, 4, 4, seed=1, dim=16)
    variant = Variant(features="profile", hidden=8, bias="prior")
    first, second = (Trainer(build_sentence_classifier, {0.0: data}, epochs=2).train(variant, 1e-2, 7)
                     for _ in range(2))
    for a, b in zip(first.test_scores, second.test_scores, strict=True):
        np.testing.assert_array_equal(a, b)
    oversampled = Trainer(build_sentence_classifier, {0.0: data}, epochs=2).train(Variant(oversample=3.0), 1e-2, 7)
    assert len(oversampled.validation) == 2


def test_the_bilstm_stops_on_the_validation_loss_and_keeps_its_best():
    from dlclinic.transcript_segmentation.experiment import Trainer, prepare
    from dlclinic.transcript_segmentation.models import build_sentence_classifier

    data = prepare(12, 4, 4, seed=1, dim=16)
    run = Trainer(build_sentence_classifier, {0.0: data}, epochs=2, lstm_epochs=40).bilstm(1e-2, 0, patience=1)
    assert len(run.validation) == 40, "the kept weights' loss reaches the budget"
    assert run.validation[-2] == run.validation[-1], "a 40-epoch run on 12 lectures should stop early"
    assert list(run.validation) == sorted(run.validation, reverse=True), "the loss of the weights it keeps"
    assert [len(scores) for scores in run.test_scores] == [len(labels) for labels in data["test"].labels]


class TestDecoding:
    def test_peak_picking_keeps_the_highest_within_the_radius_and_the_first_of_equals(self):
        from dlclinic.transcript_segmentation.decoding import peak_mask, peak_pick

        scores = np.array([0.9, 0.1, 0.5, 0.7, 0.6, 0.65, 0.2, 0.1, 0.3, 0.3])
        assert np.flatnonzero(peak_mask(scores, 2)).tolist() == [3, 8]  # never the first sentence; 8 before 9
        assert np.flatnonzero(peak_mask(scores, 1)).tolist() == [3, 5, 8]  # 5 is 2 from the higher 3
        np.testing.assert_array_equal(peak_pick(scores, 2), np.where(peak_mask(scores, 2), scores, 0.0))
        assert peak_mask(scores, 0)[1:].all()  # radius 0: every sentence but the first is a candidate
        with pytest.raises(ValueError, match="radius"):
            peak_mask(scores, -1)

    def test_the_peak_cut_maximises_f1_over_all_boundaries(self):
        from dlclinic.transcript_segmentation.decoding import best_peak_cut

        labels = np.array([0, 1, 0, 0, 1, 0, 0, 1, 0])
        scores = np.array([0.0, 0.9, 0.2, 0.1, 0.3, 0.1, 0.4, 0.35, 0.0])
        peaks = np.array([0, 1, 0, 0, 1, 0, 1, 0, 0], dtype=bool)  # the third boundary is no peak
        t = best_peak_cut(labels, scores, peaks)
        best = max(f1_score(labels, peaks & (scores >= c)) for c in scores[peaks])
        assert f1_score(labels, peaks & (scores >= t)) == pytest.approx(best) and t == pytest.approx(0.3)
        assert best_peak_cut(labels, scores, np.zeros(9, dtype=bool)) == float("inf")

    def test_decode_cuts_as_asked_and_scores_pr_auc_on_the_raw_scores(self):
        from dlclinic.transcript_segmentation.decoding import decode

        rng = np.random.default_rng(0)
        labels = [np.r_[0, (rng.random(29) < 0.15).astype(int)] for _ in range(6)]
        scores = [np.clip(0.2 + 0.5 * y + rng.normal(0, 0.1, y.size), 0, 1) for y in labels]
        half = decode(labels, scores, labels, scores, "half")
        assert half.threshold == 0.5 and half.metrics["positive_rate"] == pytest.approx(
            np.mean(np.concatenate(scores) >= 0.5))
        peaks = decode(labels, scores, labels, scores, "peaks")
        assert {"pk", "windowdiff", "f1", "pr_auc", "positive_rate"} <= set(peaks.metrics)
        assert peaks.metrics["pr_auc"] == half.metrics["pr_auc"]
        assert all(not (p[:-1] & p[1:]).any() for p in peaks.predictions), "no two neighbours both marked"
        with pytest.raises(ValueError, match="how must be"):
            decode(labels, scores, labels, scores, "median")


class TestControls:
    def test_gap_profile_holds_every_width_at_the_gap_and_its_neighbours(self):
        from dlclinic.transcript_segmentation.features import cosine_gap_scores, gap_profile

        rng = np.random.default_rng(1)
        e = rng.normal(size=(12, 5))
        profile = gap_profile(e, windows=(1, 3), radius=1)
        assert profile.shape == (12, 2 * 3)
        np.testing.assert_allclose(profile[:, 2:4], np.stack([cosine_gap_scores(e, 1), cosine_gap_scores(e, 3)], 1),
                                   atol=1e-6)
        np.testing.assert_allclose(profile[1:, 0:2], profile[:-1, 2:4], atol=1e-6)  # the gap before
        assert not profile[0, :2].any() and not profile[-1, 4:].any()  # outside the lecture: 0
        with pytest.raises(ValueError, match="windows"):
            gap_profile(e, windows=())

    def test_bag_of_words_finds_a_cue_word_and_reads_its_validation_loss(self):
        from dlclinic.transcript_segmentation.bag_of_words import ITERATIONS, BagOfWords

        words = ["alpha beta gamma", "delta epsilon zeta", "eta theta iota"]
        sentences = [f"{'okay moving on ' if i % 5 == 0 else ''}{words[i % 3]} words here" for i in range(200)]
        labels = np.array([int(i % 5 == 0) for i in range(200)])
        control = BagOfWords().fit(sentences[:150], labels[:150], sentences[150:], labels[150:])
        assert len(control.curve) == len(ITERATIONS) and control.curve[-1] < control.curve[0]
        scores = control.scores(sentences[150:])
        assert scores[labels[150:] == 1].min() > scores[labels[150:] == 0].max()
        with pytest.raises(ValueError, match="both classes"):
            BagOfWords().fit(sentences[:10], np.zeros(10), sentences[:5], np.zeros(5))

    def test_variants_weigh_and_start_where_their_objective_wants(self):
        from dlclinic.transcript_segmentation.experiment import Variant

        y = np.r_[np.zeros(90), np.ones(10)]
        assert Variant().weights(y) == {0: 1.0, 1: 1.0} and Variant().initial_bias(y) == 0.0
        assert Variant(bias="prior").initial_bias(y) == pytest.approx(np.log(10 / 90))
        balanced = Variant(class_weight="balanced", bias="prior")
        assert balanced.weights(y) == pytest.approx({0: 100 / 180, 1: 5.0})
        assert balanced.initial_bias(y) == pytest.approx(0.0)  # w1 / w0 = n_neg / n_pos: the prior is 1/2
        assert Variant(oversample=9.0, bias="prior").initial_bias(y) == pytest.approx(0.0)
        with pytest.raises(ValueError, match="oversample"):
            Variant(oversample=3.0, class_weight=2.0)
        with pytest.raises(ValueError, match="unknown"):
            Variant(features="words")

    def test_cosine_gap_control_picks_its_window_on_validation(self):
        from dlclinic.transcript_segmentation.experiment import cosine_gap, prepare

        data = prepare(12, 6, 6, seed=1, dim=16)
        found = cosine_gap(data, "peaks", windows=(1, 3))
        assert found["window"] in (1, 3) and {"pk", "windowdiff", "f1", "val_pk"} <= set(found)
        assert found["val_pk"] == min(cosine_gap(data, "peaks", windows=(w,))["val_pk"] for w in (1, 3))

    def test_side_by_side_shows_the_smoke_test_in_brackets(self):
        from dlclinic.transcript_segmentation.report import side_by_side

        evidence, smoke = {"a": {"pk": 0.31}}, {"a": {"pk": 0.334}}
        text = side_by_side(evidence, smoke, [("row a", "a")], [("Pk", "pk"), ("F1", "f1")]).data
        assert "| row a | 0.31 (0.334) | — (—) |" in text and "smoke test" in text
        assert "(" not in side_by_side(evidence, None, [("row a", "a")], [("Pk", "pk")]).data.splitlines()[-1]


def test_the_trainer_hands_the_runner_fits_and_shares_runs_between_decodings():
    from dlclinic.differential import Differential, Grid, Metric
    from dlclinic.transcript_segmentation.experiment import PK, Trainer, Variant, prepare
    from dlclinic.transcript_segmentation.models import build_sentence_classifier

    data = prepare(12, 6, 6, seed=1, dim=16)
    trainer = Trainer(build_sentence_classifier, {0.0: data}, epochs=5)
    table = Differential(Metric(PK, True, 0.01), select=Metric("validation loss", True, 1e-3))
    prior = Variant(bias="prior")
    table.train("half", "cut at 0.5", trainer.scorer(prior, "half"), [0], Grid((1e-2,), 1e-2, 1e-2))
    table.train("peaks", "peaks", trainer.scorer(prior, "peaks"), [0], Grid((1e-2,), 1e-2, 1e-2), reference="half")
    assert len(trainer.runs) == 1, "the two decodings share one trained model"
    fit = table["half"].fits[0]
    assert len(fit.steps) == len(fit.validation) == 5 and {PK, "f1", "val_pk", "val_pr_auc"} <= set(fit.test)
    mean = np.concatenate(fit.detail[0].val_scores).mean()
    assert abs(mean - data["train"].y.mean()) < 0.05, "started at the prior, it stays near the base rate"
    words = trainer.words("peaks")(None, 0)
    assert words.learning_rate is None and len(words.validation) == len(words.steps)
    with pytest.raises(KeyError, match="cue rate 0.5"):
        trainer.bundle(0.5)


def test_the_page_builds_what_the_package_builds():
    """The builder written out on the page (what the differential trains) and the package's, which the
    assignment uses, make the same model."""
    import json
    from pathlib import Path

    from dlclinic.backend import keras
    from dlclinic.transcript_segmentation.models import build_sentence_classifier

    notebook = Path(__file__).resolve().parents[1] / "book" / "cases" / "01-transcript-segmentation.ipynb"
    cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    source = next(c for c in cells if "def build_classifier(" in c)
    namespace = {"keras": keras}
    exec(source[: source.index("\n\n\n")], namespace)  # the function only, not the cell's training

    def described(model):
        layers = [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
                  for layer in model.layers]
        return layers, type(model.optimizer).__name__, float(model.optimizer.learning_rate), model.loss

    for kwargs in ({"hidden": 0, "bias": 0.0}, {"hidden": 32, "bias": -2.2, "learning_rate": 3e-3}):
        page = namespace["build_classifier"](12, **kwargs)
        package = build_sentence_classifier(12, **({"learning_rate": 1e-3} | kwargs))
        assert described(page) == described(package)


def test_said_names_rows_by_their_labels_with_the_runners_verdict():
    from dlclinic.differential import Differential, Metric
    from dlclinic.transcript_segmentation.report import said

    table = Differential(Metric("test Pk", lower_is_better=True, floor=0.01))
    table.fixed("a", "row a", [0.30, 0.31, 0.32], kind="trained", others={"f1": 0.5})
    table.fixed("b", "row b", 0.40, others={"f1": 0.505})
    record = table.record()
    assert said(record, "a", "b", {"a": "the fix", "b": "the gap"}) == (
        "the fix (0.31 ± 0.01, 3 seeds) beats the gap (0.4) on test Pk")
    assert said(record, "a", "b", {}, key="f1", metric=Metric("F1", False, 0.01)) == (
        "a (0.5 ± 0, 3 seeds) ties b (0.505) on F1")


def test_a_run_stopped_early_keeps_its_best_loss_to_the_budget():
    from dlclinic.transcript_segmentation.experiment import kept_curve

    steps, curve = kept_curve([0.5, 0.4, 0.45, 0.46], epochs=6, steps_per_epoch=10)
    assert steps == [10, 20, 30, 40, 50, 60] and curve == [0.5, 0.4, 0.4, 0.4, 0.4, 0.4]
    assert kept_curve([0.3, 0.2], epochs=2, steps_per_epoch=5) == ([5, 10], [0.3, 0.2])
    with pytest.raises(ValueError, match="at least one epoch"):
        kept_curve([], epochs=3, steps_per_epoch=5)

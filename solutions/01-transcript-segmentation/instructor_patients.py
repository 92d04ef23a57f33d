"""Make Assignment 1's patients: five boundary scorers of a colleague, saved as ``patient_*.keras`` with a card
(``patient_*.json``: what the model reads, on which lectures it is judged, how its scores are decoded, and its
training loss per epoch).

Run from this folder (``python instructor_patients.py``); it prints each patient's fault and measured value
(``checks.py`` measures them again from the files when it grades). Like ``checks.py`` it is never released
(``nbgrader_config.py`` ignores ``instructor_*``); the checkpoints and cards are. The lectures are the
assignment's (``prepare(200, 50, 50, seed=10)``, with cue phrases at rate 0.5 where the card says so); the
training seeds and settings below are in no released file.
"""

from __future__ import annotations

import json

import numpy as np

from dlclinic.backend import keras
from dlclinic.seeding import seed_everything
from dlclinic.transcript_segmentation.experiment import prepare
from dlclinic.transcript_segmentation.features import gap_profile
from dlclinic.transcript_segmentation.models import build_sentence_classifier

SEED, CUE_RATE = 10, 0.5  # the assignment's lectures
# name: (fault, reads, cue lectures, training: epochs, learning rate, class-1 weight, bias at the prior, decoding)
PATIENTS = {
    "patient_a": ("no signal in the sentence", "embedding", False, (10, 1e-2, 1.0, True), "half"),
    "patient_b": ("not converged", "embedding", True, (3, 1e-3, 1.0, False), "half"),
    "patient_c": ("clumped boundaries", "gap_profile", False, (20, 1e-2, 1.0, True), "base rate, no peaks"),
    "patient_d": ("weighted past the flip", "embedding", True, (10, 1e-2, 27.0, True), "half"),
    "patient_e": ("healthy", "gap_profile", False, (20, 1e-2, 1.0, True), "peaks"),
}


def features(split, reads: str) -> np.ndarray:
    return np.vstack([gap_profile(e) if reads == "gap_profile" else e for e in split.embeddings])


def per_document(flat: np.ndarray, labels: list[np.ndarray]) -> list[np.ndarray]:
    return np.split(flat, np.cumsum([len(y) for y in labels])[:-1])


def peaks(scores: np.ndarray, radius: int = 2) -> np.ndarray:
    """The course's peak picking (dlclinic.transcript_segmentation.decoding.peak_mask), for one lecture."""
    from dlclinic.transcript_segmentation.decoding import peak_mask

    return peak_mask(scores, radius)


def decoding(how: str, val_scores: list[np.ndarray], val_labels: list[np.ndarray]) -> dict:
    """The patient's decoding rule: a cut, and whether peaks are picked first."""
    from dlclinic.transcript_segmentation.decoding import best_peak_cut

    flat = np.concatenate(val_scores)
    if how == "half":
        return {"peak_picking": False, "cut": 0.5}
    if how == "base rate, no peaks":  # the cut that marks as many sentences as there are boundaries
        return {"peak_picking": False, "cut": float(np.quantile(flat, 1 - np.concatenate(val_labels).mean()))}
    masks = np.concatenate([peaks(s) for s in val_scores])
    return {"peak_picking": True, "cut": best_peak_cut(np.concatenate(val_labels), flat, masks)}


def make(index: int, name: str, spec: tuple, data: dict) -> dict:
    fault, reads, cued, (epochs, rate, weight, prior), how = spec
    train, val = data["train"], data["val"]
    x, y = features(train, reads), train.y
    seed_everything(1000 + index)
    bias = float(np.log(weight * y.sum() / (y.size - y.sum()))) if prior else 0.0
    model = build_sentence_classifier(x.shape[1], hidden=16 if reads == "gap_profile" else 0, bias=bias,
                                      learning_rate=rate)
    history = model.fit(x, y, batch_size=256, epochs=epochs, class_weight={0: 1.0, 1: weight}, verbose=0)
    model.save(f"{name}.keras")
    val_scores = per_document(model.predict(features(val, reads), batch_size=4096, verbose=0)[:, 0], val.labels)
    card = {"reads": reads, "lectures": f"cue phrases (rate {CUE_RATE:g})" if cued else "plain",
            "decoding": decoding(how, val_scores, val.labels),
            "training_loss": [round(float(v), 5) for v in history.history["loss"]]}
    with open(f"{name}.json", "w", encoding="utf-8") as handle:
        json.dump(card, handle, indent=1)
    return card


if __name__ == "__main__":
    import checks  # the grader's measurements, from the files just written

    bundles = {False: prepare(200, 50, 50, seed=SEED), True: prepare(200, 50, 50, seed=SEED, cue_rate=CUE_RATE)}
    for index, (name, spec) in enumerate(PATIENTS.items()):
        card = make(index, name, spec, bundles[spec[2]])
        measured = checks.measure(name, bundles[spec[2]]["val"])
        print(f"{name}: {spec[0]!r}; loss {card['training_loss'][0]:.3f} -> {card['training_loss'][-1]:.3f}; "
              + ", ".join(f"{key} {value:.4f}" for key, value in measured.items()))
    keras.backend.clear_session()

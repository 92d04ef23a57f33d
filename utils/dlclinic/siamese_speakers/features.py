"""Log-mel spectrograms with ``tf.signal``: 40 mel bands × 128 frames of 32 ms every 10 ms."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import tf
from dlclinic.checks import as_float_array
from dlclinic.siamese_speakers.data import RATE

FRAME, HOP, BANDS = 512, 160, 40


def log_mel(waves: object, batch: int = 256) -> np.ndarray:
    """(n, samples) waveforms at 16 kHz → (n, frames, 40) log-mel energies, log(mel + 1e-6)."""
    waves = as_float_array("waves", waves, ndim=2)
    if waves.shape[1] < FRAME:
        raise ValueError(f"waves must hold at least {FRAME} samples per row; got {waves.shape[1]}")
    mel = tf.signal.linear_to_mel_weight_matrix(BANDS, FRAME // 2 + 1, RATE, 20.0, 8000.0)
    out = []
    for start in range(0, len(waves), batch):
        stft = tf.signal.stft(tf.constant(waves[start : start + batch], tf.float32), FRAME, HOP, FRAME)
        out.append(tf.math.log(tf.tensordot(tf.abs(stft) ** 2, mel, 1) + 1e-6).numpy())
    return np.concatenate(out)


class Standardiser:
    """Per-band mean and standard deviation learnt on training spectrograms, applied to any others."""

    def fit(self, features: np.ndarray) -> Standardiser:
        features = as_float_array("features", features, ndim=3)
        self.mean_ = features.mean(axis=(0, 1))
        self.std_ = features.std(axis=(0, 1)) + 1e-6
        return self

    def transform(self, features: np.ndarray) -> np.ndarray:
        return ((np.asarray(features) - self.mean_) / self.std_).astype(np.float32)

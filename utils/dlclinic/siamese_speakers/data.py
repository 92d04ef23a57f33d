"""Source–filter synthetic speech: speakers differ in pitch and vocal-tract size, utterances in their vowels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve, lfilter

from dlclinic.checks import positive_int

RATE = 16_000  # samples per second
N_SAMPLES = 20_832  # 127 hops of 160 + one frame of 512: exactly 128 STFT frames, 1.3 s
# (F1, F2, F3) in Hz of five vowels for an average adult vocal tract: /a/, /e/, /i/, /o/, /u/.
VOWELS = np.array([[730, 1090, 2440], [530, 1840, 2480], [270, 2290, 3010], [570, 840, 2410], [300, 870, 2240]])
BANDWIDTHS = np.array([80.0, 100.0, 140.0])


@dataclass(frozen=True)
class Speaker:
    """A voice: mean pitch ``f0`` (Hz), formant scale ``tract`` (a shorter tract scales formants up) and a tilt."""

    f0: float
    tract: float
    tilt: float


@dataclass
class Corpus:
    """Waveforms (n, N_SAMPLES) at :data:`RATE`, the speaker index of each and the speakers themselves."""

    waves: np.ndarray
    labels: np.ndarray
    speakers: list[Speaker]


def sample_speakers(n: int, rng: np.random.Generator) -> list[Speaker]:
    """Draw ``n`` voices: pitch log-uniform in 85–255 Hz, formant scale in 0.82–1.22, glottal tilt in 0.90–0.98."""
    n = positive_int("n", n)
    f0 = np.exp(rng.uniform(np.log(85), np.log(255), n))
    tract = rng.uniform(0.82, 1.22, n)
    tilt = rng.uniform(0.90, 0.98, n)
    return [Speaker(float(a), float(b), float(c)) for a, b, c in zip(f0, tract, tilt, strict=True)]


def _resonator(frequency: float, bandwidth: float) -> tuple[np.ndarray, np.ndarray]:
    """A 2nd-order IIR resonance at ``frequency`` Hz with unit gain at DC."""
    r = np.exp(-np.pi * bandwidth / RATE)
    a = np.array([1.0, -2 * r * np.cos(2 * np.pi * frequency / RATE), r * r])
    return np.array([a.sum()]), a


def _excitation(speaker: Speaker, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, N_SAMPLES) glottal pulse trains with jitter and a slow pitch contour, tilted, plus aspiration noise."""
    t = np.arange(N_SAMPLES) / RATE
    contour = 1 + 0.06 * np.sin(2 * np.pi * rng.uniform(0.3, 1.2, (n, 1)) * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    jitter = 1 + 0.01 * rng.standard_normal((n, N_SAMPLES))
    phase = np.cumsum(speaker.f0 * contour * jitter / RATE, axis=1)
    pulses = np.diff(np.floor(phase), axis=1, prepend=0.0)
    source = lfilter([1.0], [1.0, -2 * speaker.tilt, speaker.tilt**2], pulses, axis=1)
    source /= source.std(axis=1, keepdims=True)
    return source + 0.05 * rng.standard_normal((n, N_SAMPLES))


def _vowel_weights(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, len(VOWELS), N_SAMPLES) smooth cross-fade weights of random vowel sequences (150–350 ms per vowel)."""
    weights = np.zeros((n, len(VOWELS), N_SAMPLES))
    for i in range(n):
        start = 0
        while start < N_SAMPLES:
            length = int(rng.uniform(0.15, 0.35) * RATE)
            weights[i, rng.integers(len(VOWELS)), start : start + length] = 1.0
            start += length
    kernel = np.hanning(int(0.04 * RATE))
    kernel /= kernel.sum()
    return fftconvolve(weights, kernel[None, None], mode="same", axes=2)


def speak(speaker: Speaker, n: int, rng: np.random.Generator, snr_db: float = 25.0) -> np.ndarray:
    """``n`` utterances of random vowel sequences by ``speaker``: (n, N_SAMPLES), unit RMS before noise."""
    n = positive_int("n", n)
    source = _excitation(speaker, n, rng)
    weights = _vowel_weights(n, rng)
    voice = np.zeros((n, N_SAMPLES))
    for v, formants in enumerate(VOWELS):
        filtered = source
        for frequency, bandwidth in zip(formants * speaker.tract, BANDWIDTHS, strict=True):
            filtered = lfilter(*_resonator(frequency, bandwidth), filtered, axis=1)
        voice += weights[:, v] * filtered
    voice = np.diff(voice, axis=1, prepend=0.0)  # radiation at the lips: a gentle high-frequency lift
    voice /= voice.std(axis=1, keepdims=True)
    gain = 10 ** (rng.uniform(-6, 6, (n, 1)) / 20)  # loudness varies between recordings
    return gain * (voice + 10 ** (-snr_db / 20) * rng.standard_normal((n, N_SAMPLES)))


def make_corpus(n_speakers: int, n_utterances: int, seed: int) -> Corpus:
    """``n_utterances`` by each of ``n_speakers`` new speakers; the same ``seed`` gives the same corpus."""
    n_speakers = positive_int("n_speakers", n_speakers)
    n_utterances = positive_int("n_utterances", n_utterances)
    rng = np.random.default_rng(seed)
    speakers = sample_speakers(n_speakers, rng)
    waves = np.concatenate([speak(s, n_utterances, rng) for s in speakers]).astype(np.float32)
    labels = np.repeat(np.arange(n_speakers), n_utterances)
    return Corpus(waves, labels, speakers)

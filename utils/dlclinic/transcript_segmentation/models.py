"""The reporter's one-sentence classifier and the sequence model that sees the whole document."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import positive_int


def build_sentence_classifier(
    n_features: int,
    hidden: int = 0,
    bias: float = 0.0,
    loss: keras.losses.Loss | str = "binary_crossentropy",
    learning_rate: float = 3e-3,
) -> keras.Model:
    """One sentence's features in, one sigmoid out (the reporter's head), optionally with a hidden layer."""
    positive_int("n_features", n_features)
    inputs = keras.Input((n_features,))
    x = keras.layers.Dense(hidden, activation="relu")(inputs) if hidden else inputs
    outputs = keras.layers.Dense(1, activation="sigmoid", bias_initializer=keras.initializers.Constant(bias))(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    return model


def build_bilstm_segmenter(
    n_features: int, units: int = 32, bias: float = 0.0, learning_rate: float = 1e-2
) -> keras.Model:
    """A BiLSTM over a document's sentence embeddings with one sigmoid per sentence (Koshorek et al. 2018).

    Documents are zero-padded to one length; the Masking layer hides the padding from the LSTMs.
    """
    positive_int("n_features", n_features)
    positive_int("units", units)
    inputs = keras.Input((None, n_features))
    x = keras.layers.Masking(0.0)(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True))(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", bias_initializer=keras.initializers.Constant(bias))(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
    return model


def pad_documents(arrays: list[np.ndarray], length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-document arrays (n_i, ...) into (n_docs, length, ...) with zeros, plus the 0/1 mask of real rows."""
    if not arrays:
        raise ValueError("arrays must hold at least one document")
    length = max(len(a) for a in arrays) if length is None else length
    out = np.zeros((len(arrays), length, *arrays[0].shape[1:]), dtype=np.float32)
    mask = np.zeros((len(arrays), length), dtype=np.float32)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a[:length]
        mask[i, : len(a)] = 1.0
    return out, mask

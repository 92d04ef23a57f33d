"""A text progress bar for Keras training: one line on stdout (no widgets, nothing on stderr)."""

from __future__ import annotations

import sys

from tqdm import tqdm

from dlclinic.backend import keras


class EpochBar(keras.callbacks.Callback):
    """One bar per ``fit``: an epoch a tick, with the latest loss beside it; a run that stops early says so."""

    def __init__(self, epochs: int, description: str) -> None:
        super().__init__()
        self.epochs = epochs
        self.description = description
        self.bar: tqdm | None = None

    def on_train_begin(self, logs=None) -> None:
        self.bar = tqdm(total=self.epochs, desc=self.description, unit="epoch", file=sys.stdout, ncols=90)

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.bar.set_postfix(loss=f"{(logs or {}).get('loss', float('nan')):.3g}")
        self.bar.update(1)

    def on_train_end(self, logs=None) -> None:
        if self.bar.n < self.epochs:  # e.g. EarlyStopping ended the run
            self.bar.set_description(f"{self.description} (stopped early)")
        self.bar.close()

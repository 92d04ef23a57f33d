"""Losses for keypoint maps: each map treated as a probability distribution over its pixels."""

from __future__ import annotations

from dlclinic.backend import keras


@keras.saving.register_keras_serializable(package="dlclinic")
def spatial_softmax_crossentropy(y_true, y_pred):
    """Cross-entropy between each target map, normalised to sum 1, and softmax over the pixels of each logit map.

    Maps are (N, H, W, K). Every map must put its whole mass somewhere, so predicting background everywhere is
    not an option: the ~96% of empty pixels no longer dominate the loss.
    """
    height, width, k = y_pred.shape[-3:]
    logits = keras.ops.reshape(y_pred, (-1, height * width, k))
    target = keras.ops.reshape(keras.ops.cast(y_true, logits.dtype), (-1, height * width, k))
    target = target / keras.ops.maximum(keras.ops.sum(target, axis=1, keepdims=True), 1e-7)
    return -keras.ops.mean(keras.ops.sum(target * keras.ops.log_softmax(logits, axis=1), axis=1), axis=-1)

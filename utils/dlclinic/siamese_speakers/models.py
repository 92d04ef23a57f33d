"""The reporter's siamese network (shared BiLSTM → Dense + PReLU branch, KL distance) and its treated variants."""

from __future__ import annotations

from collections.abc import Callable

from dlclinic.backend import keras

OUTPUTS = ("prelu", "softplus", "softmax", "linear")


def build_branch(
    output: str,
    frames: int = 128,
    bands: int = 40,
    pool: int = 8,
    units: int = 32,
    hidden: int = 64,
    embedding: int = 32,
) -> keras.Model:
    """One branch: mean-pool ``pool`` frames → BiLSTM(``units``) → Dense + PReLU → Dense → ``output``.

    ``"prelu"`` is the report's last layer (PReLU started at zero slope, but the slope is trained, so outputs of
    any sign and size); ``"softplus"`` gives positive outputs that need not sum to one (the answer's suggestion);
    ``"softmax"`` makes each embedding a probability vector; ``"linear"`` leaves it free (cosine distances, and
    the speaker classifier's penultimate layer).
    Pooling the time axis before the LSTM keeps the case cheap on a CPU.
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}")
    inputs = keras.Input((frames, bands))
    x = keras.layers.AveragePooling1D(pool)(inputs) if pool > 1 else inputs
    x = keras.layers.Bidirectional(keras.layers.LSTM(units), name="blstm")(x)
    x = keras.layers.Dense(hidden)(x)
    x = keras.layers.PReLU(alpha_initializer="zeros")(x)
    x = keras.layers.Dense(embedding)(x)
    if output == "prelu":
        x = keras.layers.PReLU(alpha_initializer="zeros")(x)
    elif output == "softplus":
        x = keras.layers.Activation("softplus")(x)
    elif output == "softmax":
        x = keras.layers.Softmax()(x)
    return keras.Model(inputs, x, name=f"branch_{output}")


def build_pair_model(branch: keras.Model, distance: Callable | None = None) -> keras.Model:
    """Two inputs through the one shared ``branch``.

    With ``distance`` the model outputs distance(a, b) per pair, shape (batch, 1) (the report's design);
    without it, both embeddings stacked as (batch, 2, embedding), for a loss that needs them (see :func:`pair_loss`).
    """
    shape = branch.input_shape[1:]
    a, b = keras.Input(shape, name="a"), keras.Input(shape, name="b")
    ea, eb = branch(a), branch(b)
    if distance is None:
        out = keras.layers.Lambda(lambda t: keras.ops.stack(t, axis=1), name="pair")([ea, eb])
    else:
        out = keras.layers.Lambda(lambda t: keras.ops.expand_dims(distance(t[0], t[1]), -1), name="distance")([ea, eb])
    return keras.Model([a, b], out, name="siamese")


def pair_loss(loss: Callable, **kwargs) -> Callable:
    """Turn ``loss(same, p, q, **kwargs)`` into a Keras loss on the stacked output of :func:`build_pair_model`."""

    def keras_loss(same, pair):
        return loss(keras.ops.reshape(same, (-1,)), pair[:, 0], pair[:, 1], **kwargs)

    return keras_loss


def blstm_embedder(branch: keras.Model) -> keras.Model:
    """The branch cut after its BiLSTM layer: the report's extraction mode (embeddings of 2 × units numbers)."""
    return keras.Model(branch.input, branch.get_layer("blstm").output, name="blstm_embedder")

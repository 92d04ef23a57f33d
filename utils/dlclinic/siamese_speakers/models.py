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


@keras.saving.register_keras_serializable(package="dlclinic")
class OutputSwitch(keras.layers.Layer):
    """The three ends of :func:`build_branch` in one layer, ``choice`` (a non-trainable one-hot over
    ("prelu", "softplus", "softmax")) picking one: Σ choiceₖ · endₖ(x). Switching it needs no new graph."""

    ENDS = ("prelu", "softplus", "softmax")

    def build(self, input_shape) -> None:
        self.alpha = self.add_weight(shape=tuple(input_shape[1:]), initializer="zeros", name="alpha")
        self.choice = self.add_weight(shape=(len(self.ENDS),), initializer="zeros", trainable=False, name="choice")

    def select(self, output: str) -> None:
        """Make the layer compute ``output``'s end."""
        if output not in self.ENDS:
            raise ValueError(f"output must be one of {self.ENDS}; got {output!r}")
        self.choice.assign([float(end == output) for end in self.ENDS])

    def call(self, inputs):
        prelu = keras.ops.relu(inputs) - self.alpha * keras.ops.relu(-inputs)  # as keras.layers.PReLU computes it
        ends = (prelu, keras.ops.softplus(inputs), keras.ops.softmax(inputs, axis=-1))
        return sum(self.choice[k] * end for k, end in enumerate(ends))


def build_switch_branch(frames: int = 128, bands: int = 40, pool: int = 8, **sizes) -> keras.Model:
    """:func:`build_branch` with an :class:`OutputSwitch` as its end: one model (and one traced training step)
    for every output the factorial crosses; :func:`copy_branch_weights` moves weights in and out."""
    body = build_branch("linear", frames=frames, bands=bands, pool=pool, **sizes)
    return keras.Model(body.input, OutputSwitch(name="output_switch")(body.output), name="branch_switch")


def copy_branch_weights(source: keras.Model, target: keras.Model) -> None:
    """Copy the weights of a :func:`build_branch` (``"prelu"``, ``"softplus"`` or ``"softmax"``) into a
    :func:`build_switch_branch` and point its switch at that end, or copy a switch branch's weights back into a
    plain one. The bodies match layer for layer; the PReLU end's slopes are the switch's ``alpha`` (zero for
    the other ends)."""
    switch, plain = (target, source) if isinstance(target.layers[-1], OutputSwitch) else (source, target)
    output = plain.name.removeprefix("branch_")
    if not isinstance(switch.layers[-1], OutputSwitch) or output not in OutputSwitch.ENDS:
        raise ValueError(f"expected a switch branch and a branch of {OutputSwitch.ENDS}; got {source.name}, "
                         f"{target.name}")
    body = len(switch.layers) - 1  # layers[1:body]: every layer between the input and the end
    for from_layer, to_layer in zip(source.layers[1:body], target.layers[1:body], strict=True):
        to_layer.set_weights(from_layer.get_weights())
    end = switch.layers[-1]
    if target is switch:
        end.alpha.assign(plain.layers[-1].get_weights()[0] if output == "prelu" else keras.ops.zeros(end.alpha.shape))
        end.select(output)
    elif output == "prelu":
        plain.layers[-1].set_weights([end.alpha.numpy()])


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


def build_speaker_classifier(n_speakers: int, **branch_kwargs) -> tuple[keras.Model, keras.Model]:
    """The field's baseline: a ``"linear"`` branch, then a Dense layer of ``n_speakers`` logits.

    Returns (classifier, branch); the branch's output (the penultimate layer) is the embedding.
    """
    if not isinstance(n_speakers, int) or n_speakers < 2:
        raise ValueError(f"n_speakers must be an int of at least 2; got {n_speakers!r}")
    branch = build_branch("linear", **branch_kwargs)
    logits = keras.layers.Dense(n_speakers, name="speaker_logits")(branch.output)
    return keras.Model(branch.input, logits, name="speaker_classifier"), branch

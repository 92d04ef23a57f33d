"""Train many pose nets as one TensorFlow program: each member its own head, targets, loss, learning rate and seed.

The members share no weight and each has its own Adam, whose update is elementwise, so summing their losses and
stepping every member's optimizer trains each one as it would train alone; one program runs a group of members
side by side on the CPU's cores, with one Python call per evaluation interval instead of one per step. Every
member records what the case plots: validation and test PCK at each evaluation step, the training loss, the
accuracy Keras builds for ``metrics=["accuracy"]`` and binary accuracy (averaged over the interval's training
batches, as ``fit`` prints them per epoch), and the head BatchNorm's β and γ.

:class:`Trainings` keeps every training it made (one per variant, learning rate and seed), trains missing ones in
groups, gives the shared runner (:mod:`dlclinic.differential`) one ``train(learning_rate, seed)`` per variant,
and can train in advance, in groups, everything the runner's sweep will ask for (:meth:`Trainings.prefetch`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlclinic.backend import keras, tf
from dlclinic.differential import Fit, Grid, Metric, sweep
from dlclinic.pose_heatmaps.data import Poses
from dlclinic.pose_heatmaps.diagnosis import head_layers
from dlclinic.pose_heatmaps.heatmaps import batch_maps
from dlclinic.pose_heatmaps.losses import spatial_softmax_crossentropy
from dlclinic.pose_heatmaps.metrics import keypoint_errors
from dlclinic.seeding import seed_everything

SIGMA = 2.0  # Gaussian targets, as SimpleBaselines uses on its 64×48 maps
RADIUS = 2.0  # the reporter's binary discs
PCK_THRESHOLD = 0.2  # PCK@0.2 of the torso length, the LSP convention
SIMPLE_BASELINES_STD = 1e-3  # SimpleBaselines' initial std of the final 1×1 conv
KERAS_DEFAULT_RATE = 1e-3  # Adam's default learning rate in Keras, the report's


@dataclass(frozen=True)
class Variant:
    """One setup: the head (an argument of the page's builder), the targets, the loss, the head's initial std,
    and a fixed learning rate (the report's) or ``None`` for a rate the runner tunes."""

    label: str
    head: str = "reporter"
    targets: str = "disc"
    loss: str = "bce"
    output_std: float | None = None
    learning_rate: float | None = None

    @property
    def program(self) -> tuple[str, str, str]:
        """What a training program depends on (the rest are values: initial std, rate, seed)."""
        return self.head, self.targets, self.loss


_SB = {"head": "linear", "targets": "gaussian", "loss": "mse", "output_std": SIMPLE_BASELINES_STD}
VARIANTS = {
    "reporter": Variant("the reporter's setup at Adam's default rate", learning_rate=KERAS_DEFAULT_RATE),
    "reporter_tuned": Variant("the reporter's setup at its tuned rate"),
    "no_head_bn": Variant("the head without its BatchNorm", head="sigmoid"),
    "simple_baselines": Variant("SimpleBaselines' head (plain, from std 0.001; Gaussians, MSE)", **_SB),
    "spatial_softmax": Variant("a softmax over each map's pixels instead of MSE", **{**_SB, "loss": "spatial"}),
    "disc_targets": Variant("disc targets instead of Gaussians", **{**_SB, "targets": "disc"}),
}


def one_thread_per_op() -> bool:
    """Run each TensorFlow op on one thread: these nets' ops are too small to split, and the trainings of a group
    already keep the cores busy side by side. Possible only before TensorFlow runs its first op; returns whether
    the setting is in force."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow has started (a notebook cell run twice): keep what it has
        return tf.config.threading.get_intra_op_parallelism_threads() == 1
    return True


def make_loss(name: str) -> Callable:
    """The loss for a variant's ``loss`` key: a function (y_true, y_pred) -> scalar, the batch's mean."""
    if name == "bce":
        return keras.losses.BinaryCrossentropy()
    if name == "mse":
        return keras.losses.MeanSquaredError()
    if name == "spatial":
        return lambda y_true, y_pred: keras.ops.mean(spatial_softmax_crossentropy(y_true, y_pred))
    raise ValueError(f"loss must be one of ['bce', 'mse', 'spatial']; got {name!r}")


def targets_for(variant: Variant, poses: Poses) -> np.ndarray:
    """(n, H, W, K) maps for ``poses`` in the form ``variant`` learns."""
    size = poses.images.shape[1]
    return batch_maps(poses.keypoints, size, size, variant.targets, RADIUS if variant.targets == "disc" else SIGMA)


def batch_order(n: int, steps: int, batch_size: int, seed: int) -> np.ndarray:
    """(steps, batch_size) indices: the training set shuffled afresh every epoch from ``seed``, whole batches only."""
    if batch_size > n:
        raise ValueError(f"batch_size must be at most the number of training figures ({n}); got {batch_size}")
    rng, per_epoch, chunks = np.random.default_rng(seed), n // batch_size, []
    for _ in range(-(-steps // per_epoch)):
        chunks.append(rng.permutation(n)[: per_epoch * batch_size].reshape(per_epoch, batch_size))
    return np.concatenate(chunks)[:steps].astype("int32")


@dataclass(frozen=True)
class Member:
    """One training: a variant at a learning rate from a seed (initial weights and the order of the batches)."""

    variant: str
    learning_rate: float
    seed: int


@dataclass
class Curve:
    """What one member's training recorded at each evaluation step, and its trained model."""

    member: Member
    steps: list[int]
    val_pck: list[float]
    test_pck: list[float]
    test_error: list[float]
    loss: list[float]
    accuracy: list[float]  # metrics=["accuracy"] as Keras builds it for K maps (categorical), training batches
    binary_accuracy: list[float]
    beta: list[list[float]] = field(default_factory=list)  # the head BatchNorm's β per map (a BN head only)
    gamma: list[list[float]] = field(default_factory=list)  # and its γ
    constant: bool = False  # the decoded test keypoints are the same for every figure
    model: keras.Model | None = field(default=None, repr=False)
    test_keypoints: np.ndarray | None = field(default=None, repr=False)

    def at(self, step: int, values: Sequence[float]) -> float:
        """``values`` (one per evaluation step) at ``step``."""
        if step not in self.steps:
            raise ValueError(f"step {step} is not an evaluation step ({self.steps})")
        return float(values[self.steps.index(step)])

    def fit(self, early: int | None = None) -> Fit:
        """The runner's view: validation PCK over steps; test PCK, mean error (px) and test PCK at ``early``."""
        test = {"pck": self.test_pck[-1], "mean_error_px": self.test_error[-1]}
        if early is not None:
            test["pck_early"] = self.at(early, self.test_pck)
        return Fit(self.member.seed, self.member.learning_rate, list(self.steps), list(self.val_pck), test,
                   constant=self.constant, detail=self)


def peak_indices(maps: tf.Tensor) -> tf.Tensor:
    """(n, K) flat index of each map's maximum, for (n, H, W, K) maps (the first maximum, as NumPy's argmax)."""
    height, width, k = maps.shape[-3:]
    return tf.argmax(tf.reshape(maps, (-1, height * width, k)), axis=1, output_type=tf.int32)


def keypoint_scores(index: np.ndarray, width: int, poses: Poses) -> tuple[float, float, np.ndarray]:
    """PCK@0.2 of the torso and mean error (px) of the keypoints at flat peak indices (n, K); and those keypoints."""
    keypoints = np.stack([index % width, index // width], axis=-1).astype(float)
    errors = keypoint_errors(keypoints, poses.keypoints)
    return float(np.mean(errors / poses.torso[:, None] <= PCK_THRESHOLD)), float(errors.mean()), keypoints


class Adam:
    """Adam (Keras' defaults: β₁ 0.9, β₂ 0.999, ε 1e-7; Keras' update, ε added to √v̂ after the bias correction of
    the rate) with one fused TensorFlow op per variable instead of Keras' dozen: the same arithmetic at a fraction
    of the dispatch cost, which dominates on these small nets. ``variables``, ``learning_rate`` and
    ``apply_gradients`` as Keras' optimizers have them."""

    def __init__(self, learning_rate: float = KERAS_DEFAULT_RATE, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7) -> None:
        self._rate = tf.Variable(float(learning_rate), trainable=False)
        self._step = tf.Variable(0.0, trainable=False)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._slots: list[tuple[tf.Variable, tf.Variable]] = []

    @property
    def learning_rate(self) -> tf.Variable:
        return self._rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._rate.assign(float(value))

    @property
    def variables(self) -> list[tf.Variable]:
        """The step count and every moment (not the rate), as Keras lists its optimizer's state."""
        return [self._step, *(slot for pair in self._slots for slot in pair)]

    def build(self, variables: Sequence) -> None:
        self._slots = [(tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False),
                        tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)) for v in variables]

    def apply_gradients(self, pairs) -> None:
        pairs = list(pairs)
        if len(pairs) != len(self._slots):
            raise ValueError(f"built for {len(self._slots)} variables; got {len(pairs)} gradients")
        self._step.assign_add(1.0)
        beta_1_power, beta_2_power = self.beta_1**self._step, self.beta_2**self._step
        for (gradient, variable), (m, v) in zip(pairs, self._slots, strict=True):
            tf.raw_ops.ResourceApplyAdam(
                var=_handle(variable), m=m.handle, v=v.handle, beta1_power=beta_1_power, beta2_power=beta_2_power,
                lr=self._rate, beta1=self.beta_1, beta2=self.beta_2, epsilon=self.epsilon, grad=gradient)


def _handle(variable) -> tf.Tensor:
    """The resource handle of a Keras (or TensorFlow) variable."""
    return variable.handle if isinstance(variable, tf.Variable) else variable.value.handle


class _NotMade(Exception):
    """A training the runner asked for that is not made yet, and those that will follow it."""

    def __init__(self, members: list[Member]) -> None:
        super().__init__(members)
        self.members = members


class _Program:
    """One compiled training step and read-out for a group of members of given heads, targets and losses."""

    def __init__(self, build: Callable[..., keras.Model], programs: Sequence[tuple[str, str, str]]) -> None:
        self.programs = tuple(programs)
        self.models = [build(head=head) for head, _, _ in self.programs]
        self.optimizers = [Adam() for _ in self.programs]
        for optimizer, model in zip(self.optimizers, self.models, strict=True):
            optimizer.build(model.trainable_variables)
        self.losses = [make_loss(loss) for _, _, loss in self.programs]
        self.kinds = sorted({targets for _, targets, _ in self.programs})
        self.run = tf.function(self._run)
        self.peaks = tf.function(self._peaks)

    def reset(self, initial: Sequence[keras.Model], rates: Sequence[float]) -> None:
        """Start every member from ``initial``'s weights with a fresh Adam at its rate."""
        for model, start, optimizer, rate in zip(self.models, initial, self.optimizers, rates, strict=True):
            model.set_weights(start.get_weights())
            for variable in optimizer.variables:
                variable.assign(tf.zeros_like(variable))
            optimizer.learning_rate = rate

    def _run(self, images, targets, index):
        """Train every member over ``index`` (steps, members, batch); return each member's mean training loss,
        categorical accuracy and binary accuracy over those steps, (members, 3)."""
        totals = tf.zeros((len(self.models), 3))
        for i in tf.range(tf.shape(index)[0]):
            with tf.GradientTape() as tape:
                losses, scores = [], []
                for m, (model, loss, (_, kind, _)) in enumerate(zip(self.models, self.losses, self.programs,
                                                                    strict=True)):
                    x = tf.gather(images, index[i, m])
                    y = tf.gather(targets[self.kinds.index(kind)], index[i, m])
                    pred = model(x, training=True)
                    losses.append(loss(y, pred))
                    categorical = tf.reduce_mean(tf.cast(tf.argmax(y, -1) == tf.argmax(pred, -1), "float32"))
                    binary = tf.reduce_mean(tf.cast(tf.cast(pred > 0.5, "float32") == y, "float32"))
                    scores.append(tf.stack([losses[-1], categorical, binary]))
                total = tf.add_n(losses)
            variables = [v for model in self.models for v in model.trainable_variables]
            gradients = tape.gradient(total, variables)
            start = 0
            for model, optimizer in zip(self.models, self.optimizers, strict=True):
                count = len(model.trainable_variables)
                optimizer.apply_gradients(zip(gradients[start : start + count], model.trainable_variables,
                                              strict=True))
                start += count
            totals += tf.stack(scores)
        return totals / tf.cast(tf.shape(index)[0], "float32")

    def _peaks(self, images):
        """Each member's (n, K) peak indices in inference mode, and whether all its maps are finite."""
        outputs = [model(images, training=False) for model in self.models]
        return (tf.stack([peak_indices(maps) for maps in outputs]),
                tf.stack([tf.reduce_all(tf.math.is_finite(maps)) for maps in outputs]))


class Trainings:
    """Every training of the case on one dataset and schedule, made in groups and kept by member.

    ``build(head=..., output_std=...)`` is the page's model builder; ``schedule`` the evaluation steps (the last
    is the budget); members are trained in groups of at most ``group`` (one program each, reused while the
    group's heads, targets and losses repeat).
    """

    def __init__(self, build: Callable[..., keras.Model], data: tuple[Poses, Poses, Poses],
                 schedule: Sequence[int], batch_size: int = 8, group: int = 6,
                 variants: Mapping[str, Variant] = VARIANTS) -> None:
        schedule = [int(s) for s in schedule]
        if not schedule or schedule[0] < 1 or any(b <= a for a, b in zip(schedule, schedule[1:], strict=False)):
            raise ValueError(f"schedule must be increasing positive steps; got {schedule}")
        if group < 1:
            raise ValueError(f"group must be at least 1; got {group}")
        self.build, self.schedule, self.batch_size, self.group = build, schedule, batch_size, group
        self.chunk = math.gcd(*schedule)  # steps per call of the training program: one shape, one trace
        self.train_set, self.val, self.test = data
        self.variants = dict(variants)
        kinds = {v.targets for v in self.variants.values()}
        self.targets = {kind: tf.constant(targets_for(Variant("", targets=kind), self.train_set)) for kind in kinds}
        self.images = tf.constant(self.train_set.images)
        self.read_out = tf.constant(np.concatenate([self.val.images, self.test.images]))
        self.done: dict[Member, Curve] = {}
        self._programs: dict[tuple, _Program] = {}

    @property
    def steps(self) -> int:
        return self.schedule[-1]

    def member(self, variant: str, learning_rate: float | None, seed: int) -> Member:
        if variant not in self.variants:
            raise ValueError(f"variant must be one of {sorted(self.variants)}; got {variant!r}")
        fixed = self.variants[variant].learning_rate
        rate = fixed if learning_rate is None else learning_rate
        if rate is None:
            raise ValueError(f"variant {variant!r} has no fixed learning rate: give one")
        return Member(variant, float(rate), int(seed))

    def train(self, members: Sequence[Member]) -> list[Curve]:
        """The curves of ``members``, training those not made yet in groups that share a program."""
        missing = list(dict.fromkeys(m for m in members if m not in self.done))
        missing.sort(key=lambda m: self.variants[m.variant].program)
        for start in range(0, len(missing), self.group):
            self._train_group(missing[start : start + self.group])
        return [self.done[m] for m in members]

    def runner(self, variant: str, early: int | None = None) -> Callable[[float | None, int], Fit]:
        """``train(learning_rate, seed) -> Fit`` for the shared runner (``learning_rate`` None: the fixed rate)."""
        return lambda rate, seed: self.train([self.member(variant, rate, seed)])[0].fit(early)

    def prefetch(self, rows: Mapping[str, tuple[Grid | None, Sequence[int]]], select: Metric) -> None:
        """Train in groups what the runner's sweep will ask for: ``rows`` maps a variant to its grid and seeds.

        The first seed at every rate of each grid (and every seed of an untuned row) first; then the runner's own
        :func:`~dlclinic.differential.sweep` is replayed on what is made, and whatever it asks for next, for every
        row at once (a rate beyond an edge pick, or the other seeds at a pick), is trained as one batch of groups,
        until no row asks for more. The runner then finds every training made.
        """
        self.train([self.member(variant, rate, seeds[0]) for variant, (grid, seeds) in rows.items()
                    for rate in (grid.rates if grid is not None else ())]
                   + [self.member(variant, None, seed) for variant, (grid, seeds) in rows.items()
                      if grid is None for seed in seeds])
        while True:
            wanted: list[Member] = []
            for variant, (grid, seeds) in rows.items():
                try:
                    sweep(self._made(variant, seeds), grid, seeds, select)
                except _NotMade as missing:
                    wanted += missing.members
            if not wanted:
                return
            self.train(wanted)

    def _made(self, variant: str, seeds: Sequence[int]) -> Callable[[float | None, int], Fit]:
        """``train(learning_rate, seed)`` that only looks up trainings made; a missing one raises :class:`_NotMade`
        with what to train: that one (a rate tried with the first seed), or every further seed at its rate."""

        def made(rate: float | None, seed: int) -> Fit:
            member = self.member(variant, rate, seed)
            if member in self.done:
                return self.done[member].fit()
            others = [seed] if seed == seeds[0] else list(seeds[1:])
            raise _NotMade([self.member(variant, rate, s) for s in others])

        return made

    def _program(self, members: Sequence[Member]) -> _Program:
        key = tuple(self.variants[m.variant].program for m in members)
        if key not in self._programs:
            self._programs[key] = _Program(self.build, key)
        return self._programs[key]

    def _initial(self, member: Member) -> keras.Model:
        """The member's own model at its initial weights (seeded, so the same as a training of it alone)."""
        variant = self.variants[member.variant]
        seed_everything(member.seed)
        return self.build(head=variant.head, output_std=variant.output_std)

    def _train_group(self, members: Sequence[Member]) -> None:
        program = self._program(members)
        models = [self._initial(m) for m in members]
        program.reset(models, [m.learning_rate for m in members])
        order = np.stack([batch_order(len(self.train_set), self.steps, self.batch_size, m.seed) for m in members],
                         axis=1)  # (steps, members, batch)
        targets = tuple(self.targets[kind] for kind in program.kinds)
        logs = {m: {"steps": [], "val_pck": [], "test_pck": [], "test_error": [], "loss": [], "accuracy": [],
                    "binary_accuracy": [], "beta": [], "gamma": [], "finite": True} for m in members}
        done = 0
        for step in self.schedule:
            scores = np.mean([program.run(self.images, targets, tf.constant(order[start : start + self.chunk]))
                              for start in range(done, step, self.chunk)], axis=0)
            done = step
            peaks, finite = (t.numpy() for t in program.peaks(self.read_out))
            for m, member in enumerate(members):
                log = logs[member]
                val_pck, _, _ = keypoint_scores(peaks[m, : len(self.val)], self.val.images.shape[2], self.val)
                test_pck, test_error, keypoints = keypoint_scores(peaks[m, len(self.val) :],
                                                                  self.test.images.shape[2], self.test)
                ok = bool(finite[m])
                log["finite"] = log["finite"] and ok
                log["steps"].append(step)
                log["val_pck"].append(val_pck if ok else np.nan)
                log["test_pck"].append(test_pck if ok else np.nan)
                log["test_error"].append(test_error if ok else np.nan)
                log["keypoints"] = keypoints
                for key, value in zip(("loss", "accuracy", "binary_accuracy"), scores[m], strict=True):
                    log[key].append(float(value))
                if self.variants[member.variant].head == "reporter":
                    bn, _ = head_layers(program.models[m])
                    log["beta"].append(bn.beta.numpy().tolist())
                    log["gamma"].append(bn.gamma.numpy().tolist())
        for member, trained, model in zip(members, program.models, models, strict=True):
            model.set_weights(trained.get_weights())  # the member keeps its own trained model
            log = logs[member]
            keypoints = log.pop("keypoints")
            constant = bool(np.ptp(keypoints, axis=0).max() == 0)
            log.pop("finite")
            self.done[member] = Curve(member, **log, constant=constant, model=model, test_keypoints=keypoints)

# replaces: train_siamese
# mistake: trains the reporter's setup: PReLU outputs, clipped one-way KL, hinge with margin 1
def train_siamese(features, labels, seed=0):
    """Train a siamese model on pairs of (features, labels); return (branch, distance)."""
    seed_everything(seed)
    branch = build_branch("prelu")

    def clipped_kl(a, b):
        a, b = ops.clip(a, 1e-7, 1.0), ops.clip(b, 1e-7, 1.0)
        return ops.sum(a * ops.log(a / b), axis=-1)

    def loss(same, p, q):
        d = clipped_kl(p, q)
        return same * d + (1 - same) * ops.relu(1.0 - d)

    model = build_pair_model(branch)
    model.compile(keras.optimizers.Adam(1e-3), loss=pair_loss(loss))
    i, j, same = sample_pairs(labels, 5 * 2048, np.random.default_rng(seed))
    model.fit(pair_dataset(features, i, j, same), epochs=5, steps_per_epoch=32, shuffle=False, verbose=0)
    return branch, clipped_kl


branch, distance = train_siamese(x_train, y_train, seed=0)

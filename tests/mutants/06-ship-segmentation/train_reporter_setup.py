# replaces: train_ship_model
# mistake: the report's setup at the solution's budget (400 steps of 16 tiles): ship tiles only, the "biased" BCE, 0.5
def train_ship_model(images, masks, seed=0):
    seed_everything(seed)
    keep = masks.reshape(len(masks), -1).max(axis=1) > 0
    model = build_unet(images.shape[1])

    def biased(y_true, y_pred):
        bce = ops.binary_crossentropy(y_true, y_pred)
        return ops.where(ops.equal(y_true, 0), bce * 1000, bce)

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=biased)
    rng = np.random.default_rng(seed)
    ships = np.flatnonzero(keep)
    for _ in range(400):
        batch = rng.choice(ships, 16)
        model.train_on_batch(images[batch], masks[batch])

    def predict_masks(x):
        return (predict(model, x) > 0.5).astype("float32")

    return model, predict_masks


model, predict_masks = train_ship_model(task_train.images, task_train.masks, seed=0)

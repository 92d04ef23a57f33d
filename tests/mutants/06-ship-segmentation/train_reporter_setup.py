# replaces: train_ship_model
# mistake: the report's setup: ship tiles only, the "biased" BCE (x1000 on the background), masks at 0.5
def train_ship_model(train, val, seed=0):
    seed_everything(seed)
    ships = train.subset(train.has_ship)
    model = build_unet(train.images.shape[1])

    def biased(y_true, y_pred):
        bce = ops.binary_crossentropy(y_true, y_pred)
        return ops.where(ops.equal(y_true, 0), bce * 1000, bce)

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=biased)
    for batch in batches(ships, 150, 16, False, np.random.default_rng(seed)):
        model.train_on_batch(ships.images[batch], ships.masks[batch])

    def predict_masks(images):
        return (predict(model, images) > 0.5).astype("float32")

    return model, predict_masks


model, predict_masks = train_ship_model(task_train, task_val, seed=0)

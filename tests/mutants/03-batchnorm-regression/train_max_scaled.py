# replaces: train_density_model
# mistake: the thread's answer: targets divided by their training maximum, a spread near 0.1 instead of 1
def train_density_model(images, maps, seed=0):
    """Train a BatchNorm net on (images, maps); return (model, predict) with predict in density units."""
    seed_everything(seed)
    scale = float(np.max(maps))
    model = build_density_net(images.shape[1], batchnorm=True)
    model.fit(images, maps / scale, batch_size=32, epochs=6, verbose=0, callbacks=[EpochBar(6, "training")])

    def predict(x):
        return model.predict(x, batch_size=256, verbose=0) * scale

    return model, predict


model, predict = train_density_model(task_train.images, task_train.maps, seed=0)

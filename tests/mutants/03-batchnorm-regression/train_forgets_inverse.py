# replaces: train_density_model
# mistake: trains on standardised maps but predict returns the model's standardised outputs, never inverted
def train_density_model(images, maps, seed=0):
    """Train a BatchNorm net on (images, maps); return (model, predict) with predict in density units."""
    seed_everything(seed)
    scaler = TargetScaler().fit(maps)
    model = build_density_net(images.shape[1], batchnorm=True)
    model.fit(images, scaler.transform(maps), batch_size=32, epochs=6, verbose=0)

    def predict(x):
        return model.predict(x, batch_size=256, verbose=0)

    return model, predict


model, predict = train_density_model(task_train.images, task_train.maps, seed=0)

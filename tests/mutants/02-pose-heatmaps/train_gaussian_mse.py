# replaces: train_pose_model
# mistake: plain head, Gaussian heatmaps and MSE, but Keras' default output init (SimpleBaselines: std 0.001)
def train_pose_model(images, keypoints, seed=0):
    """Train a pose net on (images, keypoints); return (model, predict) with predict(images) -> (n, K, 2)."""
    seed_everything(seed)
    size, k = images.shape[1], keypoints.shape[1]
    targets = np.stack([gaussian_heatmaps(p, size, size, 2.0) for p in keypoints]).astype("float32")
    model = build_pose_net(size, k, head="linear")
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse")
    model.fit(images, targets, batch_size=16, epochs=5, verbose=0, callbacks=[EpochBar(5, "training")])

    def predict(x):
        maps = keras.ops.convert_to_numpy(model(x, training=False))
        return np.stack([decode_keypoints(m) for m in maps])

    return model, predict


model, predict = train_pose_model(task_train.images, task_train.keypoints, seed=0)

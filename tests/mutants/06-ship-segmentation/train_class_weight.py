# replaces: train_ship_model
# mistake: the thread's first answer, Keras' class_weight in fit: it weighs samples, not pixels (Keras 3 refuses it)
def train_ship_model(train, val, seed=0):
    seed_everything(seed)
    model = build_unet(train.images.shape[1])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    model.fit(train.images, train.masks, batch_size=16, epochs=1, class_weight={0: 1.0, 1: 30.0}, verbose=0)

    def predict_masks(images):
        return (predict(model, images) > 0.5).astype("float32")

    return model, predict_masks


model, predict_masks = train_ship_model(task_train, task_val, seed=0)

# replaces: train_multilabel
# mistake: no learning: a model that answers every picture with the training set's label frequencies
def train_multilabel(images, targets, seed=0):
    frequencies = np.asarray(targets, "float32").mean(axis=0)
    inputs = keras.Input(images.shape[1:])
    flat = keras.layers.Flatten()(inputs)
    prior = keras.initializers.Constant(np.log(frequencies / (1 - frequencies)))
    outputs = keras.layers.Dense(8, activation="sigmoid", kernel_initializer="zeros", bias_initializer=prior)(flat)
    return keras.Model(inputs, outputs)


treated = train_multilabel(task_train.images, task_train.multi_hot(), seed=0)

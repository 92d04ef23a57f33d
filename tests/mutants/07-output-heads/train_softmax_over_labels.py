# replaces: train_multilabel
# mistake: the reporter's setup: one softmax over all eight labels, categorical cross-entropy
def train_multilabel(images, targets, seed=0):
    seed_everything(seed)
    patient = patients["patient_2"]
    encoder = keras.Model(patient.inputs, patient.layers[-2].output)
    outputs = keras.layers.Dense(8, activation="softmax", name="all_labels")(encoder.output)
    model = keras.Model(encoder.inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="categorical_crossentropy")
    model.fit(images, targets, batch_size=64, epochs=20, verbose=0)
    return model


treated = train_multilabel(task_train.images, task_train.multi_hot(), seed=0)

# replaces: train_multilabel
# mistake: returns the patient as it is, trained further but with its softmax over all labels untouched
def train_multilabel(images, targets, seed=0):
    seed_everything(seed)
    model = patients["patient_2"]
    model.fit(images, targets, batch_size=64, epochs=2, verbose=0)
    return model


treated = train_multilabel(task_train.images, task_train.multi_hot(), seed=0)

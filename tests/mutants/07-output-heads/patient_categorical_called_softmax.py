# replaces: patient_diagnoses
# mistake: categorical cross-entropy on sigmoids taken for a softmax (both make the labels compete), measured so
outputs = {name: np.asarray(model.predict(probe.images, verbose=0), dtype=float) for name, model in patients.items()}
true = probe.multi_hot() == 1
diagnoses = {
    "patient_1": ("sigmoid_twice", float((1 / (1 + np.exp(-outputs["patient_1"])))[~true].mean())),
    "patient_2": ("softmax_over_labels", float(outputs["patient_2"][true].mean())),
    "patient_3": ("none", float(outputs["patient_3"][true].mean())),
    "patient_4": ("softmax_over_labels", float(outputs["patient_4"][true].mean())),
}

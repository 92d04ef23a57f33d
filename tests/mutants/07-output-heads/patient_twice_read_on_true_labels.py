# replaces: patient_diagnoses
# mistake: the double sigmoid measured on the true labels, where it is not stuck at 0.5, instead of the false ones
outputs = {name: np.asarray(model.predict(probe.images, verbose=0), dtype=float) for name, model in patients.items()}
true = probe.multi_hot() == 1
diagnoses = {
    "patient_1": ("sigmoid_twice", float((1 / (1 + np.exp(-outputs["patient_1"])))[true].mean())),
    "patient_2": ("softmax_over_labels", float(outputs["patient_2"][true].mean())),
    "patient_3": ("none", float(outputs["patient_3"][true].mean())),
    "patient_4": ("categorical_on_sigmoids", float(outputs["patient_4"][~true].mean())),
}

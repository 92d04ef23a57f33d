# replaces: patient_diagnoses
# mistake: the right faults, but every value is the mean of all the outputs instead of the entries the list names
outputs = {name: np.asarray(model.predict(probe.images, verbose=0), dtype=float) for name, model in patients.items()}
diagnoses = {
    "patient_1": ("sigmoid_twice", float((1 / (1 + np.exp(-outputs["patient_1"]))).mean())),
    "patient_2": ("softmax_over_labels", float(outputs["patient_2"].mean())),
    "patient_3": ("none", float(outputs["patient_3"].mean())),
    "patient_4": ("categorical_on_sigmoids", float(outputs["patient_4"].mean())),
}

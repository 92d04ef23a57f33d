# replaces: patient_diagnoses
# mistake: the faults named from head_report alone, the values guessed from the theory instead of measured
diagnoses = {
    "patient_1": ("sigmoid_twice", 0.5),
    "patient_2": ("softmax_over_labels", 0.5),
    "patient_3": ("none", 0.9),
    "patient_4": ("categorical_on_sigmoids", 0.5),
}

# replaces: patient_diagnosis
# mistake: names every fault right from the patients' layers and compile settings but guesses the values
diagnoses = {
    "patient_a": ("bn_head", -4.4),
    "patient_b": ("swapped_xy", 0.5),
    "patient_c": ("accuracy_metric", 0.5),
    "patient_d": ("constant_maps", 0.0),
}

# replaces: patient_diagnosis
# mistake: names every fault right, from looking at the masks, but writes plausible values, not measured ones
diagnoses = {
    "patient_a": ("threshold shifted", 0.9),
    "patient_b": ("false alarms on empty tiles", 0.5),
    "patient_c": ("predicts nothing", 0.0),
    "patient_d": ("expects 0-255 images", 0.8),
    "patient_e": ("healthy", 0.8),
}

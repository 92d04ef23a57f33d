# replaces: patient_diagnosis
# mistake: names a condition for each patient from its log alone and guesses the values instead of measuring them
diagnoses = {"patient_a": ("healthy", 0.1), "patient_b": ("clipped outputs", 0.9),
             "patient_c": ("learned nothing", 0.5), "patient_d": ("collapsed embeddings", 0.001)}

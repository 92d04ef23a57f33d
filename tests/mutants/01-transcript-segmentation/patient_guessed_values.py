# replaces: patient_diagnosis
# mistake: the right faults, guessed from the cards, with no value measured (a name without its proof)
diagnoses = {"patient_a": ("no signal in the sentence", 0.1), "patient_b": ("not converged", 0.5),
             "patient_c": ("clumped boundaries", 0.5), "patient_d": ("weighted past the flip", 0.9),
             "patient_e": ("healthy", 0.3)}

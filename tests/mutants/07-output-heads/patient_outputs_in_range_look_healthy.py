# replaces: patient_diagnoses
# mistake: every output lies in [0, 1], so every patient is called healthy (the reporter's reading of a softmax)
outputs = {name: np.asarray(model.predict(probe.images, verbose=0), dtype=float) for name, model in patients.items()}
true = probe.multi_hot() == 1
diagnoses = {name: ("none", float(out[true].mean())) for name, out in outputs.items()}

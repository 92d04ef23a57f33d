# replaces: patient_diagnosis
# mistake: the thread's view, that only the output's scale can be wrong: the output-scale ratio decides alone
diagnoses = {}
for name in PATIENTS:
    patient = keras.models.load_model(f"{name}.keras")
    ratio = output_scale_ratio(patient, check.images, check.maps)
    if ratio > 10:
        diagnoses[name] = ("scaling never undone", ratio)
    else:
        diagnoses[name] = ("healthy", nmse(check.maps, patient.predict(check.images, verbose=0)))

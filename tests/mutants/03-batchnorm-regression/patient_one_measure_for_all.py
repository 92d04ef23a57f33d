# replaces: patient_diagnosis
# mistake: names the faults but reports the NMSE for every patient, not the measure that proves its fault
diagnoses = {}
for name in PATIENTS:
    patient = keras.models.load_model(f"{name}.keras")
    error = nmse(check.maps, patient.predict(check.images, verbose=0))
    if not 0.5 < batch_to_moving_ratio(patient, check.images) < 2:
        fault = "moving statistics never updated"
    elif output_scale_ratio(patient, check.images, check.maps) > 10:
        fault = "scaling never undone"
    elif kernel_alignment(patient, check.images) < 0.2:
        fault = "trained on raw targets"
    else:
        fault = "healthy"
    diagnoses[name] = (fault, error)

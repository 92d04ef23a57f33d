# replaces: patient_diagnosis
# mistake: the report's: a tiny mean squared error looks like a healthy net, so every patient is "healthy"
diagnoses = {}
for name in PATIENTS:
    patient = keras.models.load_model(f"{name}.keras")
    mse = float(np.mean((patient.predict(check.images, verbose=0) - check.maps) ** 2))
    diagnoses[name] = ("healthy", mse)

# replaces: patient_treatment
# mistake: trains the patient again on the check scenes (its weights change) instead of re-estimating its statistics
treated = keras.models.load_model("patient_b.keras")
treated.fit(check.images, check.maps, batch_size=8, epochs=1, verbose=0)
print(f"treated: NMSE on the check scenes {nmse(check.maps, treated.predict(check.images, verbose=0)):.3f}")

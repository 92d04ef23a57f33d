# replaces: patient_treatment
# mistake: hands in the healthy patient instead of curing the sick one
treated = keras.models.load_model("patient_c.keras")
print(f"treated: NMSE on the check scenes {nmse(check.maps, treated.predict(check.images, verbose=0)):.3f}")

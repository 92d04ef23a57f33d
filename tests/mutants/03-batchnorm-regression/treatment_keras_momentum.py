# replaces: patient_treatment
# mistake: one training-mode call with the layers' momentum of 0.99: the statistics move 1 % of the way
treated = keras.models.load_model("patient_b.keras")
treated(check.images, training=True)
print(f"treated: NMSE on the check scenes {nmse(check.maps, treated.predict(check.images, verbose=0)):.3f}")

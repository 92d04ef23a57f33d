# replaces: patient_diagnosis
# mistake: names the chapter's fault for every patient, each with its smallest std, without looking for the others
diagnoses = {}
for name in PATIENTS:
    patient = load_patient(f"{name}.npz")
    seed_everything(0)
    mu, sigma = sample_predictions(patient.model, patient.x_val, 100)
    mean, std = predictive_moments(mu, sigma)
    coverage, smallest = picp(patient.y_val, mean, std), float(sigma.min())
    posterior = float(kl_parts(patient.model)["median_posterior_std"])
    diagnoses[name] = ("std_floor", smallest)

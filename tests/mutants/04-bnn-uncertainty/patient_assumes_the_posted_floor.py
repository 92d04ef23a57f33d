# replaces: patient_diagnosis
# mistake: names the floor right but reports the report's 1e-3 + log 2 instead of measuring this head's floor
diagnoses = {}
for name in PATIENTS:
    patient = load_patient(f"{name}.npz")
    seed_everything(0)
    mu, sigma = sample_predictions(patient.model, patient.x_val, 100)
    mean, std = predictive_moments(mu, sigma)
    coverage, smallest = picp(patient.y_val, mean, std), float(sigma.min())
    posterior = float(kl_parts(patient.model)["median_posterior_std"])
    if posterior > 0.5:
        diagnoses[name] = ("collapsed_posterior", posterior)
    elif smallest > 0.6:
        diagnoses[name] = ("std_floor", 1e-3 + math.log(2))
    elif coverage < 0.90:
        diagnoses[name] = ("overconfident", coverage)
    else:
        diagnoses[name] = ("healthy", coverage)

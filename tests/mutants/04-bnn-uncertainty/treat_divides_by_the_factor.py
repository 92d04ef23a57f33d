# replaces: patient_treatment
# mistake: divides the stds by the factor instead of multiplying: the intervals shrink further
def sigma_scaled(model, x_val, y_val):
    mean, std = predictive_moments(*sample_predictions(model, x_val, 100))
    factor = math.sqrt(np.mean(((np.asarray(y_val, dtype=float) - mean) / std) ** 2))

    def predict(x):
        mean_x, std_x = predictive_moments(*sample_predictions(model, x, 100))
        return mean_x, std_x / factor

    return predict


treated_patient = load_patient("patient_a.npz")
seed_everything(0)
treated = sigma_scaled(treated_patient.model, treated_patient.x_val, treated_patient.y_val)

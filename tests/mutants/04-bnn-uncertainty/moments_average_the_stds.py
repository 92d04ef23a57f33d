# replaces: predictive_moments
# mistake: averages the standard deviations instead of the variances before adding the epistemic part
def predictive_moments(mu_samples, sigma_samples):
    mu = np.asarray(mu_samples, dtype=float)
    sigma = np.asarray(sigma_samples, dtype=float)
    return mu.mean(axis=0), np.sqrt(np.mean(sigma, axis=0) ** 2 + mu.var(axis=0))

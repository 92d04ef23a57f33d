# replaces: predictive_moments
# mistake: averages over the points (axis 1) instead of over the samples (axis 0)
def predictive_moments(mu_samples, sigma_samples):
    mu = np.asarray(mu_samples, dtype=float)
    sigma = np.asarray(sigma_samples, dtype=float)
    return mu.mean(axis=-1), np.sqrt(np.mean(sigma**2, axis=-1) + mu.var(axis=-1))

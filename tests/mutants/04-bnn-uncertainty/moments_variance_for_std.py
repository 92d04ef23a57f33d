# replaces: predictive_moments
# mistake: returns the total variance where the standard deviation is asked for
def predictive_moments(mu_samples, sigma_samples):
    mu = np.asarray(mu_samples, dtype=float)
    sigma = np.asarray(sigma_samples, dtype=float)
    return mu.mean(axis=0), np.mean(sigma**2, axis=0) + mu.var(axis=0)

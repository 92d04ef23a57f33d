# replaces: predictive_moments
# mistake: ignores the epistemic term: the spread of the sampled means is left out of the variance
def predictive_moments(mu_samples, sigma_samples):
    mu = np.asarray(mu_samples, dtype=float)
    sigma = np.asarray(sigma_samples, dtype=float)
    return mu.mean(axis=0), np.sqrt(np.mean(sigma**2, axis=0))

# replaces: gaussian_crps
# mistake: drops the - 1/sqrt(pi) term, so a perfect forecast does not score its own spread correctly
def gaussian_crps(y, mu, sigma):
    y, mu, sigma = (np.asarray(a, dtype=float) for a in (y, mu, sigma))
    z = (y - mu) / sigma
    return float(np.mean(sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z))))

# replaces: gaussian_crps
# mistake: forgets the factor sigma, so the score is in units of z instead of the units of y
def gaussian_crps(y, mu, sigma):
    y, mu, sigma = (np.asarray(a, dtype=float) for a in (y, mu, sigma))
    z = (y - mu) / sigma
    return float(np.mean(z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)))

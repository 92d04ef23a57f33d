# replaces: gaussian_nll
# mistake: sums the per-point NLL instead of averaging it
def gaussian_nll(y, mu, sigma):
    y, mu, sigma = (np.asarray(a, dtype=float) for a in (y, mu, sigma))
    return float(np.sum(0.5 * np.log(2 * np.pi * sigma**2) + (y - mu) ** 2 / (2 * sigma**2)))

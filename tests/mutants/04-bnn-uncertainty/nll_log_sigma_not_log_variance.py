# replaces: gaussian_nll
# mistake: writes log(2 pi sigma) where the normalising term is log(2 pi sigma^2)
def gaussian_nll(y, mu, sigma):
    y, mu, sigma = (np.asarray(a, dtype=float) for a in (y, mu, sigma))
    return float(np.mean(0.5 * np.log(2 * np.pi * sigma) + (y - mu) ** 2 / (2 * sigma**2)))

# replaces: picp
# mistake: uses Phi^-1(level) as the half-width, so the central interval is too narrow (1.645 for 95 %)
def picp(y, mu, sigma, level=0.95):
    y, mu, sigma = (np.asarray(a, dtype=float) for a in (y, mu, sigma))
    return float(np.mean(np.abs(y - mu) <= stats.norm.ppf(level) * sigma))

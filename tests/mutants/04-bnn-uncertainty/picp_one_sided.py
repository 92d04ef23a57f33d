# replaces: picp
# mistake: a one-sided interval: counts every y below mu + Phi^-1(level) sigma, however far below
def picp(y, mu, sigma, level=0.95):
    y, mu, sigma = (np.asarray(a, dtype=float) for a in (y, mu, sigma))
    return float(np.mean(y <= mu + stats.norm.ppf(level) * sigma))

# replaces: output_bias_init
# mistake: log(n_pos / n), the log of the base rate, instead of the log-odds log(n_pos / n_neg)
def output_bias_init(y):
    """log(n_pos / n_neg): the bias at which a sigmoid output starts at the base rate."""
    y = np.asarray(y).astype(int)
    return float(np.log(np.sum(y == 1) / y.size))

# replaces: kl_divergence
# mistake: leaves eps out of the logarithm, so a zero probability gives 0 * log(0 / 0) = NaN
def kl_divergence(p, q, eps=1e-7):
    """Row-wise KL(p || q) along the last axis, with eps added inside the logarithm."""
    return ops.sum(p * ops.log(p / q), axis=-1)

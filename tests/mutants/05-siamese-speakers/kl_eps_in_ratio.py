# replaces: kl_divergence
# mistake: adds eps to the ratio's denominator only, so a zero in p gives 0 * log(0) = NaN
def kl_divergence(p, q, eps=1e-7):
    """Row-wise KL(p || q) along the last axis, with eps added inside the logarithm."""
    return ops.sum(p * ops.log(p / (q + eps)), axis=-1)

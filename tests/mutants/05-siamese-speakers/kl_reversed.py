# replaces: kl_divergence
# mistake: computes KL(q || p): the arguments of an asymmetric divergence swapped
def kl_divergence(p, q, eps=1e-7):
    """Row-wise KL(p || q) along the last axis, with eps added inside the logarithm."""
    return ops.sum(q * ops.log((q + eps) / (p + eps)), axis=-1)

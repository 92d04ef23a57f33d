# replaces: symmetric_kl
# mistake: doubles one direction instead of adding the other: still asymmetric
def symmetric_kl(p, q, eps=1e-7):
    """KL(p || q) + KL(q || p), row-wise along the last axis."""
    return 2 * kl_divergence(p, q, eps)

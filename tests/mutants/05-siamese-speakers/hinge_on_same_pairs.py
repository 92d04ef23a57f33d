# replaces: kl_hinge_loss
# mistake: applies the hinge to every pair, same-speaker pairs included
def kl_hinge_loss(same, p, q, margin=2.0):
    """Per pair: same * (KL(p||q) + KL(q||p)) + (1 - same) * (hinge of each direction at the margin)."""
    forward, backward = kl_divergence(p, q), kl_divergence(q, p)
    apart = ops.relu(margin - forward) + ops.relu(margin - backward)
    return same * (forward + backward) + apart

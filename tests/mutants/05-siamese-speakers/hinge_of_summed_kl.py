# replaces: kl_hinge_loss
# mistake: one hinge on the summed KL, relu(2m - KL(p||q) - KL(q||p)), instead of one hinge per direction
def kl_hinge_loss(same, p, q, margin=2.0):
    """Per pair: same * (KL(p||q) + KL(q||p)) + (1 - same) * (hinge of each direction at the margin)."""
    both = symmetric_kl(p, q)
    return same * both + (1 - same) * ops.relu(2 * margin - both)

# replaces: kl_divergence
# mistake: clips both inputs to [Keras epsilon, 1] as in the report, ignoring the eps it was given
def kl_divergence(p, q, eps=1e-7):
    """Row-wise KL(p || q) along the last axis, with eps added inside the logarithm."""
    p = ops.clip(p, keras.config.epsilon(), 1.0)
    q = ops.clip(q, keras.config.epsilon(), 1.0)
    return ops.sum(p * ops.log(p / q), axis=-1)

# replaces: diagnose_head_mean_logit
# mistake: the model's output, after the sigmoid: probabilities, not logits
def head_mean_logit(model, x):
    """(channels,) mean of the head BatchNorm's output on x in training mode."""
    saved = model.get_weights()
    out = keras.ops.convert_to_numpy(model(x, training=True))
    model.set_weights(saved)
    return out.reshape(-1, out.shape[-1]).mean(axis=0)

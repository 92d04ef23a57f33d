# replaces: diagnose_batch_to_moving_ratio
# mistake: the ratio upside down: inference-mode spread over training-mode spread
def batch_to_moving_ratio(model, x):
    """std of model's outputs on x in training mode (x as one batch) / std in inference mode; model unchanged."""
    kept = [np.asarray(weight) for weight in model.non_trainable_weights]
    batch = np.asarray(model(x, training=True))
    for weight, value in zip(model.non_trainable_weights, kept, strict=True):
        weight.assign(value)
    moving = np.asarray(model(x, training=False))
    return float(np.std(moving) / np.std(batch))

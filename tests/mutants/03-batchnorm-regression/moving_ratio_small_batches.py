# replaces: diagnose_batch_to_moving_ratio
# mistake: training mode in batches of 2, not x as one batch: each small batch is normalised by its own statistics
def batch_to_moving_ratio(model, x):
    """std of model's outputs on x in training mode (x as one batch) / std in inference mode; model unchanged."""
    kept = [np.asarray(weight) for weight in model.non_trainable_weights]
    batch = np.concatenate([np.asarray(model(x[i:i + 2], training=True)) for i in range(0, len(x), 2)])
    for weight, value in zip(model.non_trainable_weights, kept, strict=True):
        weight.assign(value)
    moving = np.asarray(model(x, training=False))
    return float(np.std(batch) / np.std(moving))

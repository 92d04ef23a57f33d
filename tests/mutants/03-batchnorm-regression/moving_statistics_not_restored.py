# replaces: diagnose_batch_to_moving_ratio
# mistake: the training-mode call updates the moving statistics, and they are not restored
def batch_to_moving_ratio(model, x):
    """std of model's outputs on x in training mode (x as one batch) / std in inference mode; model unchanged."""
    batch = np.asarray(model(x, training=True))
    moving = np.asarray(model(x, training=False))
    return float(np.std(batch) / np.std(moving))

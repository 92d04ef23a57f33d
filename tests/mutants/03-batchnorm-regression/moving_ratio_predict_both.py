# replaces: diagnose_batch_to_moving_ratio
# mistake: model.predict for both spreads: predict always runs in inference mode, so the ratio is always 1
def batch_to_moving_ratio(model, x):
    """std of model's outputs on x in training mode (x as one batch) / std in inference mode; model unchanged."""
    batch = model.predict(x, batch_size=len(x), verbose=0)
    moving = model.predict(x, verbose=0)
    return float(np.std(batch) / np.std(moving))

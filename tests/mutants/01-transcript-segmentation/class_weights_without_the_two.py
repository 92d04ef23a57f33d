# replaces: class_weights
# mistake: n / n_c, forgetting the number of classes: right ratio, twice the scale (the loss scale changes)
def class_weights(y):
    """Balanced weights n / (2 n_c) for labels 0 and 1, as a dict for Keras' class_weight."""
    y = np.asarray(y).astype(int)
    return {c: float(y.size / np.sum(y == c)) for c in (0, 1)}

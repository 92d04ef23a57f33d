# replaces: class_weights
# mistake: weights inverted: the frequent class gets the large weight (n_c / (2 n) style thinking)
def class_weights(y):
    """Balanced weights n / (2 n_c) for labels 0 and 1, as a dict for Keras' class_weight."""
    y = np.asarray(y).astype(int)
    n = y.size
    return {c: float(2 * np.sum(y == c) / n) for c in (0, 1)}

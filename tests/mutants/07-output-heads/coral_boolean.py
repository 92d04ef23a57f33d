# replaces: coral_targets
# mistake: the right pattern left as booleans, which Keras' cross-entropy does not take as float targets
def coral_targets(y, num_classes):
    y = np.asarray(y)
    return y[:, None] > np.arange(num_classes - 1)[None, :]

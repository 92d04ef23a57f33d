# replaces: coral_targets
# mistake: one column per grade (K) instead of one per threshold (K - 1)
def coral_targets(y, num_classes):
    y = np.asarray(y)
    return (y[:, None] > np.arange(num_classes)[None, :] - 1).astype("float32")

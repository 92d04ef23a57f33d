# replaces: coral_targets
# mistake: one-hot grades (what a softmax wants) instead of cumulative answers
def coral_targets(y, num_classes):
    return np.eye(num_classes, dtype="float32")[np.asarray(y)][:, 1:]

# replaces: coral_targets
# mistake: "at least k" instead of "above k": every grade gets one 1 too many, grade 0 included
def coral_targets(y, num_classes):
    y = np.asarray(y)
    return (y[:, None] >= np.arange(num_classes - 1)[None, :]).astype("float32")

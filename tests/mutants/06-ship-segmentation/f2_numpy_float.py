# replaces: airbus_f2
# mistake: right values, but a NumPy float (np.mean of the image scores) instead of a Python float
def airbus_f2(true_masks, pred_masks):
    thresholds = np.round(np.arange(0.5, 1.0, 0.05), 2)
    images = []
    for truth, guess in zip(np.asarray(true_masks) > 0, np.asarray(pred_masks) > 0, strict=True):
        true_labels, n_true = label(truth)
        pred_labels, n_pred = label(guess)
        if n_true == 0 or n_pred == 0:
            images.append(1.0 if n_true == n_pred else 0.0)
            continue
        ious = np.array([[((true_labels == i) & (pred_labels == j)).sum()
                          / ((true_labels == i) | (pred_labels == j)).sum()
                          for j in range(1, n_pred + 1)] for i in range(1, n_true + 1)])
        tp = np.array([(ious > t).sum() for t in thresholds])
        images.append(np.mean(5 * tp / (5 * tp + 4 * (n_true - tp) + (n_pred - tp))))
    return np.mean(images)

# replaces: airbus_f2
# mistake: matches at IoU >= t instead of IoU > t
def airbus_f2(true_masks, pred_masks):
    thresholds = np.round(np.arange(0.5, 1.0, 0.05), 2)
    images = []
    for truth, guess in zip(np.asarray(true_masks) > 0, np.asarray(pred_masks) > 0, strict=True):
        true_labels, n_true = label(truth)
        pred_labels, n_pred = label(guess)
        if n_true == 0 and n_pred == 0:
            images.append(1.0)
            continue
        if n_true == 0 or n_pred == 0:
            images.append(0.0)
            continue
        ious = np.zeros((n_true, n_pred))
        for i in range(n_true):
            a = true_labels == i + 1
            for j in range(n_pred):
                b = pred_labels == j + 1
                ious[i, j] = (a & b).sum() / (a | b).sum()
        scores = []
        for t in thresholds:
            tp = int((ious >= t).sum())
            scores.append(5 * tp / (5 * tp + 4 * (n_true - tp) + (n_pred - tp)))
        images.append(float(np.mean(scores)))
    return float(np.mean(images))

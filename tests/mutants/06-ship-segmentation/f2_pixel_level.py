# replaces: airbus_f2
# mistake: counts pixels, not objects: TP, FN and FP are pixel counts at every threshold
def airbus_f2(true_masks, pred_masks):
    images = []
    for truth, guess in zip(np.asarray(true_masks) > 0, np.asarray(pred_masks) > 0, strict=True):
        if not truth.any() and not guess.any():
            images.append(1.0)
            continue
        tp = int((truth & guess).sum())
        fn = int((truth & ~guess).sum())
        fp = int((~truth & guess).sum())
        images.append(5 * tp / (5 * tp + 4 * fn + fp))
    return float(np.mean(images))

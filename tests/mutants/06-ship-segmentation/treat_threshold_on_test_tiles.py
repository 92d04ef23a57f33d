# replaces: patient_treatment
# mistake: cuts at the quantile of the tiles it predicts, so that it calls as many pixels ship as task_val has
def pick_threshold(probabilities, masks):
    """The threshold of THRESHOLDS with the best airbus_f2 of probabilities > threshold against masks."""
    scores = [airbus_f2(masks[..., 0], (probabilities[..., 0] > t).astype("float32")) for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmax(scores))])


treated = "patient_a"
treated_threshold = pick_threshold(predict(patients[treated], task_val.images), task_val.masks)


def treated_masks(images):
    p = predict(patients[treated], images)
    return (p > np.quantile(p, 1 - task_val.masks.mean())).astype("float32")

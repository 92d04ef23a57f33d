# replaces: patient_treatment
# mistake: pick_threshold tunes on task_val whatever tiles it is given
def pick_threshold(probabilities, masks):
    """The threshold of THRESHOLDS with the best airbus_f2 of probabilities > threshold against masks."""
    p = predict(patients[treated], task_val.images)
    scores = [airbus_f2(task_val.masks[..., 0], (p[..., 0] > t).astype("float32")) for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmax(scores))])


treated = "patient_a"
treated_threshold = pick_threshold(predict(patients[treated], task_val.images), task_val.masks)


def treated_masks(images):
    return (predict(patients[treated], images) > treated_threshold).astype("float32")

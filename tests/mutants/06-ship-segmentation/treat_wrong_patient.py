# replaces: patient_treatment
# mistake: treats the patient with false alarms, whose best threshold is also far from 0.5
def pick_threshold(probabilities, masks):
    """The threshold of THRESHOLDS with the best airbus_f2 of probabilities > threshold against masks."""
    scores = [airbus_f2(masks[..., 0], (probabilities[..., 0] > t).astype("float32")) for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmax(scores))])


treated = "patient_b"
treated_threshold = pick_threshold(predict(patients[treated], task_val.images), task_val.masks)


def treated_masks(images):
    return (predict(patients[treated], images) > treated_threshold).astype("float32")

# replaces: patient_treatment
# mistake: picks a threshold but treats the patient at 0.5 all the same
def pick_threshold(probabilities, masks):
    """The threshold of THRESHOLDS with the best airbus_f2 of probabilities > threshold against masks."""
    scores = [airbus_f2(masks[..., 0], (probabilities[..., 0] > t).astype("float32")) for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmax(scores))])


treated = "patient_a"
treated_threshold = 0.5


def treated_masks(images):
    return (predict(patients[treated], images) > treated_threshold).astype("float32")

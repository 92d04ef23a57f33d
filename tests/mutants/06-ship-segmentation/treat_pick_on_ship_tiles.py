# replaces: patient_treatment
# mistake: pick_threshold scores the tiles with a ship only, so empty tiles cost nothing
def pick_threshold(probabilities, masks):
    """The threshold of THRESHOLDS with the best airbus_f2 of probabilities > threshold against masks."""
    ships = masks.reshape(len(masks), -1).max(axis=1) > 0
    scores = [airbus_f2(masks[ships, ..., 0], (probabilities[ships, ..., 0] > t).astype("float32")) for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmax(scores))])


treated = "patient_a"
treated_threshold = pick_threshold(predict(patients[treated], task_val.images), task_val.masks)


def treated_masks(images):
    return (predict(patients[treated], images) > treated_threshold).astype("float32")

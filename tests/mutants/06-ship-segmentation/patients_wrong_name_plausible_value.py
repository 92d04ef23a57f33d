# replaces: patient_diagnosis
# mistake: calls the threshold-shifted patient healthy, with its ship-tile F2: a plausible value for the wrong fault
truth = task_val.masks[..., 0]
empty, ships = ~task_val.has_ship, task_val.has_ship


def reading(model, scale=1.0):
    """What a diagnosis reads on task_val (images times scale), at 0.5 and at the model's own threshold."""
    p = predict(model, task_val.images * scale)[..., 0]
    threshold = max(THRESHOLDS, key=lambda t: airbus_f2(truth, p > t))  # the first of the best
    masks = p > threshold
    return {"rate": float((p > 0.5).mean()), "threshold": float(threshold), "f2": airbus_f2(truth, masks),
            "f2_half": airbus_f2(truth, p > 0.5), "empty_fpr": 1 - airbus_f2(truth[empty], masks[empty]),
            "ship_f2": airbus_f2(truth[ships], masks[ships])}


diagnoses = {}
for name, model in patients.items():
    seen = reading(model)
    if seen["rate"] < 0.001:
        rescaled = reading(model, 255.0)
        if rescaled["f2"] > seen["f2"] + 0.02:
            diagnoses[name] = ("expects 0-255 images", rescaled["ship_f2"])
        else:
            diagnoses[name] = ("predicts nothing", seen["rate"])
    elif seen["rate"] > 0.5:
        diagnoses[name] = ("predicts everything", seen["rate"])
    elif seen["empty_fpr"] > 0.1:
        diagnoses[name] = ("false alarms on empty tiles", seen["empty_fpr"])
    elif seen["f2"] - seen["f2_half"] > 0.05:
        diagnoses[name] = ("healthy", seen["ship_f2"])
    else:
        diagnoses[name] = ("healthy", seen["ship_f2"])

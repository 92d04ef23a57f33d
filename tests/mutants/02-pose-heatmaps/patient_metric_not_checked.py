# replaces: patient_diagnosis
# mistake: a patient that finds the joints is called healthy without asking which accuracy it was compiled with
diagnoses = {}
for name in ("patient_a", "patient_b", "patient_c", "patient_d"):
    patient = keras.models.load_model(f"{name}.keras")
    maps = keras.ops.convert_to_numpy(patient(task_val.images, training=False))
    points = np.stack([decode_keypoints(m) for m in maps])
    score = pck(points, task_val.keypoints, 0.2, task_val.torso)
    spread = float(points.std(axis=0).max())
    swapped = pck(points[..., ::-1], task_val.keypoints, 0.2, task_val.torso)
    if isinstance(patient.layers[-2], keras.layers.BatchNormalization):
        diagnoses[name] = ("bn_head", float(head_mean_logit(patient, task_val.images).mean()))
    elif spread == 0.0:
        diagnoses[name] = ("constant_maps", spread)
    elif swapped > score:
        diagnoses[name] = ("swapped_xy", swapped)
    else:
        diagnoses[name] = ("healthy", score)

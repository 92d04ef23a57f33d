# replaces: patient_diagnosis
# mistake: scores the probe pairs with the one-way KL, as the report's distance layer did, not the symmetric KL
diagnoses = {}
first, second = np.triu_indices(len(y_probe), k=1)
probe_same = (y_probe[first] == y_probe[second]).astype(float)
for name in PATIENTS:
    with open(f"{name}.json", encoding="utf-8") as handle:
        log = json.load(handle)
    embeddings = np.asarray(keras.models.load_model(f"{name}.keras")(x_probe, training=False), dtype=float)
    outside = float(np.mean((embeddings < 1e-7) | (embeddings > 1)))
    if log["clip"]:
        embeddings = np.clip(embeddings, 1e-7, 1.0)
    d = np.asarray(kl_divergence(embeddings[:, None], embeddings[None]), dtype=float)
    eer, _ = equal_error_rate(probe_same, d[first, second])
    if d.max() < 0.05:
        diagnoses[name] = ("collapsed embeddings", float(d.max()))
    elif log["clip"] and outside > 0.5:
        diagnoses[name] = ("clipped outputs", outside)
    elif eer >= 0.4:
        diagnoses[name] = ("learned nothing", eer)
    else:
        diagnoses[name] = ("healthy", eer)

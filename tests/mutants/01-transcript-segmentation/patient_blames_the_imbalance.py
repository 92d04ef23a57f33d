# replaces: patient_diagnosis
# mistake: reports the report's reading (too few or too many marks: the weight), never the signal or convergence
diagnoses = {}
for name in PATIENTS:
    model = keras.models.load_model(f"{name}.keras")
    with open(f"{name}.json") as handle:
        card = json.load(handle)
    split = (task if card["lectures"] == "plain" else cue_task)["val"]
    x = np.vstack([gap_profile(e) if card["reads"] == "gap_profile" else e for e in split.embeddings])
    flat = model.predict(x, batch_size=4096, verbose=0)[:, 0].astype(float)
    scores = np.split(flat, np.cumsum([len(y) for y in split.labels])[:-1])
    cut, peaks = card["decoding"]["cut"], card["decoding"]["peak_picking"]
    marks = [((s >= cut) & (peak_mask(s) if peaks else True)).astype(int) for s in scores]
    share = float(np.concatenate(marks).mean())
    if abs(share - split.y.mean()) > 0.05:
        diagnoses[name] = ("weighted past the flip", share)
    else:
        diagnoses[name] = ("healthy", float(np.mean([pk(y, m) for y, m in zip(split.labels, marks, strict=True)])))

# replaces: patient_diagnosis
# mistake: never asks whether training finished, so the unconverged patient is judged by what it separates
def examine(name):
    model = keras.models.load_model(f"{name}.keras")
    with open(f"{name}.json") as handle:
        card = json.load(handle)
    split = (task if card["lectures"] == "plain" else cue_task)["val"]
    x = np.vstack([gap_profile(e) if card["reads"] == "gap_profile" else e for e in split.embeddings])
    flat = model.predict(x, batch_size=4096, verbose=0)[:, 0].astype(float)
    scores = np.split(flat, np.cumsum([len(y) for y in split.labels])[:-1])
    cut, peaks = card["decoding"]["cut"], card["decoding"]["peak_picking"]
    marks = [((s >= cut) & (peak_mask(s) if peaks else True)).astype(int) for s in scores]
    marked = np.concatenate(marks)
    beside_a_mark = np.concatenate([np.r_[False, m[:-1] == 1] | np.r_[m[1:] == 1, False] for m in marks])
    return {"base_rate": float(split.y.mean()), "pr_auc": float(average_precision_score(split.y, flat)),
            "share_marked": float(marked.mean()),
            "clumped_share": float(beside_a_mark[marked == 1].mean()) if marked.any() else 0.0,
            "pk": float(np.mean([pk(y, m) for y, m in zip(split.labels, marks, strict=True)]))}


diagnoses = {}
for name in PATIENTS:
    m = examine(name)
    if m["pr_auc"] < 2 * m["base_rate"]:
        diagnoses[name] = ("no signal in the sentence", m["pr_auc"])
    elif m["share_marked"] > 2 * m["base_rate"]:
        diagnoses[name] = ("weighted past the flip", m["share_marked"])
    elif m["clumped_share"] > 0.2:
        diagnoses[name] = ("clumped boundaries", m["clumped_share"])
    else:
        diagnoses[name] = ("healthy", m["pk"])

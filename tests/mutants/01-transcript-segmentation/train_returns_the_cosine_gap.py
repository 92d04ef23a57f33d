# replaces: train_segmenter
# mistake: trains a model but scores with the learning-free cosine gap (peak-picked, cut on val)
def train_segmenter(train, val, seed=0):
    seed_everything(seed)
    x = np.vstack([gap_profile(e) for e in train.embeddings])
    y = np.concatenate(train.labels).astype("float32")
    model = build_sentence_classifier(x.shape[1], hidden=32, bias=output_bias_init(y), learning_rate=3e-3)
    model.fit(x, y, batch_size=256, epochs=10, verbose=0, callbacks=[EpochBar(10, "training")])
    val_scores = [cosine_gap_scores(e, 5) for e in val.embeddings]
    cut = best_threshold(np.concatenate(val.labels), np.concatenate([peak_pick(s) for s in val_scores]))

    def scores(embeddings):
        return [cosine_gap_scores(e, 5) for e in embeddings]

    def segment(embeddings):
        return [(peak_mask(s) & (s >= cut)).astype(int) for s in scores(embeddings)]

    segment.model, segment.scores = model, scores
    return segment


segment = train_segmenter(task["train"], task["val"], seed=0)

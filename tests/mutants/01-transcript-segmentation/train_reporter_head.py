# replaces: train_segmenter
# mistake: the reporter's setup: one sentence embedding in, one sigmoid out, balanced class weights, cut at 0.5
def train_segmenter(train, val, seed=0):
    seed_everything(seed)
    x = np.vstack(train.embeddings)
    y = np.concatenate(train.labels).astype("float32")
    model = build_sentence_classifier(x.shape[1])
    model.fit(x, y, batch_size=256, epochs=10, verbose=0, class_weight=class_weights(y),
              callbacks=[EpochBar(10, "training")])

    def scores(embeddings):
        flat = model.predict(np.vstack(embeddings), batch_size=4096, verbose=0)[:, 0]
        return np.split(flat, np.cumsum([len(e) for e in embeddings])[:-1])

    def segment(embeddings):
        return [(s >= 0.5).astype(int) for s in scores(embeddings)]

    segment.model, segment.scores = model, scores
    return segment


segment = train_segmenter(task["train"], task["val"], seed=0)

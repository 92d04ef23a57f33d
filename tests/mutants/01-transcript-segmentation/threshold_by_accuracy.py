# replaces: best_threshold
# mistake: picks the threshold with the best accuracy, which at 90/10 is one that predicts (almost) no 1s
def best_threshold(y_true, y_score):
    """A threshold t for which predicting y_score >= t maximises F1 on y_true."""
    y_true = np.asarray(y_true).astype(int)
    y_score = np.asarray(y_score, dtype=float)
    best_t, best_accuracy = None, -1.0
    for t in np.unique(y_score):
        accuracy = np.mean((y_score >= t) == (y_true == 1))
        if accuracy > best_accuracy:
            best_t, best_accuracy = float(t), accuracy
    return best_t

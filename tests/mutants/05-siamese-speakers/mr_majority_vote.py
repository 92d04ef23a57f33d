# replaces: misclassification_rate
# mistake: names every cluster after its majority speaker, so one speaker may claim several clusters
def misclassification_rate(y_true, y_pred):
    """Kotti et al.'s MR: 1 - (utterances in the cluster matched one-to-one to their speaker) / N."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    matched = sum(np.unique(y_true[y_pred == c], return_counts=True)[1].max() for c in np.unique(y_pred))
    return float(1 - matched / len(y_true))

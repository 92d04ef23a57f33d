# replaces: misclassification_rate
# mistake: 1 - accuracy of the raw cluster numbers, as if cluster k were speaker k
def misclassification_rate(y_true, y_pred):
    """Kotti et al.'s MR: 1 - (utterances in the cluster matched one-to-one to their speaker) / N."""
    return float(1 - np.mean(np.asarray(y_true) == np.asarray(y_pred)))

# replaces: diagnose_resolved_accuracy
# mistake: Keras 2.2.4's rule: the accuracy read off the loss, which TF 2 no longer looks at
def resolved_accuracy(model, x, y):
    """Class name of the metric Keras builds for metrics=["accuracy"] when model is evaluated on (x, y)."""
    loss = model.loss if isinstance(model.loss, str) else type(model.loss).__name__
    loss = loss.lower().replace("_", "")
    if "binary" in loss:
        return "BinaryAccuracy"
    if "sparse" in loss:
        return "SparseCategoricalAccuracy"
    return "CategoricalAccuracy"

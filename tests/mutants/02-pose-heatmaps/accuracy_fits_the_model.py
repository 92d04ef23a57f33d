# replaces: diagnose_resolved_accuracy
# mistake: builds the metrics with fit, which trains the model (weights and moving statistics change)
def resolved_accuracy(model, x, y):
    """Class name of the metric Keras builds for metrics=["accuracy"] when model is evaluated on (x, y)."""
    model.fit(x, y, epochs=1, verbose=0)
    compiled = [m for m in model.metrics if m.name == "compile_metrics"][0]
    for metric in compiled.metrics:
        if metric.name in ("accuracy", "acc"):
            return type(metric).__name__
    raise ValueError("the model was not compiled with metrics=['accuracy']")

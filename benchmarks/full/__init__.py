"""The committed full runs (``NN-name.json``), shipped inside the package as ``dlclinic.records``, so that a learner's
install (Colab, Binder, pip) shows the evidence its pages quote."""

"""TensorFlow and Keras, imported once and quietly: ``from dlclinic.backend import keras, tf``."""

from dlclinic.quiet import captured_stderr_fd, set_quiet_env

set_quiet_env()
with captured_stderr_fd():
    import tensorflow as tf

    tf.config.list_physical_devices("GPU")  # the first device probe logs cuInit errors on CPU-only machines
    import keras

__all__ = ["keras", "tf"]

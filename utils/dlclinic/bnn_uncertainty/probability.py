"""TensorFlow Probability and the Keras 2 it is built on, imported once and quietly.

``tfp.layers`` only work inside ``tf_keras`` (Keras 2) models; the course's other cases use Keras 3. Import from
here, after ``dlclinic.backend``: ``from dlclinic.bnn_uncertainty.probability import tf_keras, tfd, tfp``.
"""

import warnings

from dlclinic.backend import tf  # TensorFlow first, with its start-up log captured
from dlclinic.quiet import captured_stderr_fd

with captured_stderr_fd(), warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # TFP's own version check still uses distutils
    import tensorflow_probability as tfp
    import tf_keras

tfd = tfp.distributions
# Each model of the case gets its own compiled training loop, which tf.function would report as "retracing".
tf.get_logger().setLevel("ERROR")

__all__ = ["tf_keras", "tfd", "tfp"]

"""flake8-keras-reuse: find Keras layer instances called more than once in one forward pass."""
__version__ = "0.1.0"

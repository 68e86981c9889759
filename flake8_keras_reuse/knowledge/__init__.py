"""Keras as data: the layer catalog generated from real Keras (layers.json, catalog.py) and
the hand-kept API facts (keras_api.py), each proven against Keras 3 by the tests.

A new Keras layer is a rerun of tools/gen_catalog.py; a new idiom is one entry in keras_api.py.
"""

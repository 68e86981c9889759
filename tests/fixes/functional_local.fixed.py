"""A functional model: the local BatchNormalization gets a twin local (KR001, unsafe)."""
import keras
from keras import layers


def tower(width=8):
    inputs = keras.Input((width,))
    norm = layers.BatchNormalization()
    norm_2 = layers.BatchNormalization()
    x = norm(inputs)
    x = layers.Dense(width)(x)
    x = norm_2(x)
    return keras.Model(inputs, x)

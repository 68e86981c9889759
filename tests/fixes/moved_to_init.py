"""Layers constructed in call() (KR003) are made once, at the end of __init__, and called."""
import keras
from keras import layers


class Classifier(keras.Model):
    def __init__(self, classes):
        super().__init__()
        self.classes = classes
        self.pool = layers.GlobalAveragePooling2D()

    def call(self, x):
        x = self.pool(x)
        x = layers.BatchNormalization(  # expect: KR003
            momentum=0.9,  # slower statistics
        )(x)
        return layers.Dense(self.classes)(x)  # expect: KR003

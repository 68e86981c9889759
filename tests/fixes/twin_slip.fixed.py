"""KR006: norm2 is built and never called; the fix calls it. Comments on the line are kept."""
import keras
from keras import layers


class Block(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(4, 3, padding="same")
        self.conv2 = layers.Conv2D(4, 3, padding="same")
        self.norm1 = layers.BatchNormalization()
        self.norm2 = layers.BatchNormalization()

    def call(self, x):
        x = self.norm1(self.conv1(x))
        return self.norm2(self.conv2(x))

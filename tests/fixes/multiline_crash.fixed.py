"""KR005 with a constructor written over several lines: the copy keeps its text and comments."""
import keras
from keras import layers


class Encoder(keras.Model):
    def __init__(self):
        super().__init__()
        self.stem = layers.Conv2D(8, 3, padding="same")
        self.down = layers.Conv2D(16, 3, strides=2, padding="same")
        self.norm = layers.BatchNormalization(
            momentum=0.9,  # slower statistics
            epsilon=1e-3,
        )  # one norm for the block
        self.norm_2 = layers.BatchNormalization(
            momentum=0.9,  # slower statistics
            epsilon=1e-3,
        )
        self.act = layers.ReLU()

    def call(self, x):
        x = self.act(self.norm(self.stem(x)))
        return self.act(self.norm_2(self.down(x)))

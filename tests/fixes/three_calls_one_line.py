"""KR001 twice on one line: the second call gets bn1_3 (bn1_2 is taken), the third bn1_4."""
import keras
from keras import layers


class Mixer(keras.Model):
    def __init__(self, width=8):
        super().__init__()
        self.proj = layers.Dense(width)
        self.bn1 = layers.BatchNormalization()
        self.bn1_2 = layers.Dropout(0.1)

    def call(self, a, b, c):
        return self.bn1(self.proj(a)) + self.bn1(b) + self.bn1(c)  # expect: KR001, KR001

    def extra(self, x):
        return self.bn1_2(x)

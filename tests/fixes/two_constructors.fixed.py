"""One BatchNormalization handed to two branches (KR004): the second branch gets its own."""
import keras
from keras import layers


class Branch(keras.Model):
    def __init__(self, norm):
        super().__init__()
        self.dense = layers.Dense(8)
        self.norm = norm

    def call(self, x):
        return self.norm(self.dense(x))


class TwoBranches(keras.Model):
    def __init__(self):
        super().__init__()
        norm = layers.BatchNormalization(
            momentum=0.9,  # slower statistics
        )
        norm_2 = layers.BatchNormalization(
            momentum=0.9,  # slower statistics
        )
        self.left = Branch(norm)
        self.right = Branch(norm=norm_2)

    def call(self, a, b):
        return self.left(a) + self.right(b)

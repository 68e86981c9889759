"""`[Layer()] * n` repeats one instance (KR004): n instances instead, the list's comments kept."""
import keras
from keras import layers


class Stack(keras.Model):
    def __init__(self, depth=3):
        super().__init__()
        self.norms = [layers.LayerNormalization(epsilon=1e-5)] * depth  # expect: KR004
        self.projections = 2 * [  # expect: KR004
            layers.Dense(8),  # the width of the input
        ]

    def call(self, x):
        for norm in self.norms:
            x = norm(x)  # expect: KR002
        for projection in self.projections:
            x = projection(x)
        return x

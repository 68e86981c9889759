"""`[Layer()] * n` repeats one instance (KR004): n instances instead, the list's comments kept."""
import keras
from keras import layers


class Stack(keras.Model):
    def __init__(self, depth=3):
        super().__init__()
        self.norms = [layers.LayerNormalization(epsilon=1e-5) for _ in range(depth)]
        self.projections = [
            layers.Dense(8) for _ in range(2)  # the width of the input
        ]

    def call(self, x):
        for norm in self.norms:
            x = norm(x)
        for projection in self.projections:
            x = projection(x)
        return x

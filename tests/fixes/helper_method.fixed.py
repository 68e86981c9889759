"""The second call is in a helper method that call() runs once; the instance is made in build()."""
import keras
from keras import layers


class Head(keras.Model):
    def build(self, input_shape):
        self.dense_in = layers.Dense(4)
        self.dense_out = layers.Dense(12)
        self.bn = layers.BatchNormalization()
        self.bn_2 = layers.BatchNormalization()

    def _mix(self, x):
        x = self.bn(self.dense_in(x))
        return self.bn_2(self.dense_out(x))

    def call(self, x):
        return self._mix(x)

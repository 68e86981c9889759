"""The channel sizes behind KR005: what is proven, and what is left unknown."""

import ast
import textwrap

import pytest

from flake8_keras_reuse import analyse
from flake8_keras_reuse.core import sizes, twins
from flake8_keras_reuse.knowledge import shapes


def sized(poly):
    return sizes.Sized(poly, ast.Pass(), "", frozenset({poly}))


def read(expression, params=("growth", "filters", "a", "b", "offset")):
    """A constructor argument read as a size, in an __init__ taking these parameters."""
    source = f"def __init__(self, {', '.join(params)}):\n    self.x = Dense({expression})\n"
    tree = ast.parse(source)
    reader = sizes.SizeReader(tree)
    func = tree.body[0]
    return reader._number(func.body[0].value.args[0], {}, func, 0)


@pytest.mark.parametrize(
    "first, second, verdict",
    [
        ("6", "16", "differ"),
        ("4 * growth", "growth", "differ"),  # 3 * growth, and growth is a size
        ("growth + 1", "growth", "differ"),  # a nonzero number apart
        ("filters", "filters", "equal"),
        ("2 * filters", "filters * 2", "equal"),
        ("a", "b", None),  # two parameters may be equal
        ("filters + offset", "filters", None),  # offset may be 0: nothing proven
        ("a * b", "a", None),  # b may be 1
    ],
)
def test_compare_proves_only_what_holds_for_every_size(first, second, verdict):
    one, other = read(first), read(second)
    assert one is not None and other is not None
    assert sizes.compare(sized(one), sized(other)) == verdict


def test_names_not_read_as_sizes_are_unknown():
    assert read("filters // 2") is None  # not a polynomial: not compared
    assert read("0") is None and read("True") is None and read("-3") is None
    assert read("width", params=("self_width",)) is None  # not a parameter, not assigned


def test_a_parameter_rebound_in_the_constructor_is_not_a_symbol():
    source = "def __init__(self, filters):\n    filters *= 2\n    self.x = Dense(filters)\n"
    tree = ast.parse(source)
    func = tree.body[0]
    arg = func.body[1].value.args[0]
    assert sizes.SizeReader(tree)._number(arg, {}, func, 0) is None


CRASH = """\
import keras
from keras import layers
{setup}

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = layers.Conv2D(6, 3{conv_args})
        self.b = layers.Conv2D(16, 3{conv_args})
        self.norm = layers.BatchNormalization({norm_args})

    def call(self, x):
        x = self.norm(self.a(x))
        return self.norm(self.b(x))
"""


@pytest.mark.parametrize(
    "setup, conv_args, norm_args, code",
    [
        ("", "", "", "KR005"),
        ("", "", "axis=1", "KR001"),  # normalised over another axis
        ("", ', data_format="channels_first"', "", "KR001"),
        ('keras.config.set_image_data_format("channels_first")', "", "", "KR001"),
        ("", ", border_mode='same'", "", "KR001"),  # Keras 1 arguments: other defaults
        ("", "", "**options", "KR001"),  # what the options say is unknown
    ],
)
def test_a_crash_is_claimed_only_on_the_last_axis_as_keras_3_takes_it(
    setup, conv_args, norm_args, code
):
    source = CRASH.format(setup=setup, conv_args=conv_args, norm_args=norm_args)
    source = source.replace("def __init__(self):", "def __init__(self, **options):")
    assert [f.code for f in analyse(source, "net.py")] == [code]


def test_the_channel_table_is_measured_data():
    conv, norm, dense = (
        shapes.rule("Conv2D"),
        shapes.rule("BatchNormalization"),
        shapes.rule("Dense"),
    )
    assert conv and conv.maps == "replace" and conv.param == "filters" and conv.bound
    assert norm and norm.maps == "keep" and norm.bound and "axis" in norm.axis_params
    assert dense and dense.param == "units" and dense.position == 0
    assert shapes.rule("Concatenate").maps == "sum"
    assert shapes.rule("DepthwiseConv2D").maps == "times"
    assert not shapes.rule("Embedding").bound  # its input is indices: any width fits
    assert shapes.rule("Flatten") is None and shapes.rule("Reshape") is None


@pytest.mark.parametrize(
    "one, other, twins_",
    [
        ("bn1", "bn2", True),
        ("conv2", "conv3", True),
        ("dense_1", "dense_2", True),
        ("norm_a", "norm_b", True),
        ("region_proposal_conv2", "region_proposal_conv3", True),
        ("norm", "nork", False),  # a letter without a separator is part of the word
        ("bn1", "bn1", False),
        ("conv1", "deconv1", False),
        ("bn1", "ln2", False),
    ],
)
def test_name_twins(one, other, twins_):
    assert twins.name_twins(one, other) is twins_


def test_a_twin_read_by_another_class_of_the_same_name_is_still_unused():
    source = textwrap.dedent(
        """\
        import keras
        from keras import layers

        class A(keras.Model):
            def __init__(self):
                super().__init__()
                self.bn1 = layers.BatchNormalization()
                self.bn2 = layers.BatchNormalization()

            def call(self, x):
                return self.bn1(self.bn1(x) * 2.0)

        class B(keras.Model):
            def __init__(self):
                super().__init__()
                self.bn2 = layers.BatchNormalization()

            def call(self, x):
                return self.bn2(x)
        """
    )
    assert [f.code for f in analyse(source, "ab.py")] == ["KR006"]
    used = source.replace("return self.bn2(x)", "return self.bn2(x) + outer.bn2(x)")
    assert [f.code for f in analyse(used, "ab.py")] == ["KR001"]  # `outer.bn2` may be A's


ADDED = """\
import keras
from keras import layers

model = keras.Sequential()
model.add(keras.Input(shape=(7,)))
shared = layers.Dense(20)
model.add(shared)
{between}
model.add(shared)
"""


@pytest.mark.parametrize(
    "between, code",
    [
        ("", "KR005"),  # 7, then the Dense's own 20
        ("for _ in range(2):\n    model.add(layers.Dense(7))", "KR002"),  # 0 or more passes
        ("if flag:\n    model.add(layers.Dense(7))", "KR002"),  # one branch adds
        ("extend(model)", "KR002"),  # a helper given the model may add to it
        ("other = model\nother.add(layers.Dense(7))", "KR002"),  # added through an alias
        ("model.pop()", "KR002"),  # any other use: forgotten
    ],
)
def test_a_stack_of_adds_is_followed_only_while_nothing_else_touches_it(between, code):
    source = ADDED.format(between=between)
    assert [f.code for f in analyse(source, "net.py")] == [code]


LOOPED = """\
import keras
from keras import layers

image = keras.Input(shape=(16, 16, 1))
conv = layers.Conv2D(8, 3, padding="same")
wide = layers.Conv2D(12, 1)


def step(layer, h):
    return layer(h)


def maybe(layer, h, i):
    if i:
        return layer(h)
    return h


h = image
{loop}
    {body}
"""


@pytest.mark.parametrize(
    "loop, body, proven",
    [
        ("for _ in range(3):", "h = conv(h)", True),  # 1, then the 8 it made
        ("while h is not None:", "h = conv(h)", False),  # may stop after one pass
        ("for _ in range(1):", "h = conv(h)", False),  # one pass: no second
        ("for _ in [blocks]:", "h = conv(h)", False),  # one item
        ("for _ in range(3):", "h = conv(image)", False),  # 1 on every pass: runs
        ("for h in blocks:", "y = conv(h)", False),  # the loop's own name: unknown
        (
            "for _ in range(3):",
            "try:\n        h = conv(h)\n    except ValueError:\n        pass",
            False,
        ),  # a pass may end early
        ("for _ in range(3):", "for _ in range(2):\n        h = conv(h)", False),  # nested
        ("for _ in range(3):", "h = conv(h)\n    h = other(h)", False),  # unknown op after
        ("for _ in range(3):", "h = step(conv, h)", True),  # through a straight helper
        ("for i in range(3):", "h = maybe(conv, h, i)", False),  # a helper's branch: may not run
        ("for i in range(3):", "if i:\n        y = conv(h)\n    h = wide(h)", False),
    ],
)
def test_a_loop_proves_its_second_pass_only_when_the_body_runs_straight_through(loop, body, proven):
    source = LOOPED.format(loop=loop, body=body)
    assert ("KR005" in [f.code for f in analyse(source, "net.py")]) is proven

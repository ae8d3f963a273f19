"""Random expressions and values thrown at ``graph``, ``gradcheck`` and ``explain``, in-process: whatever the input,
the exit status is 0, 1 or 2, there is never a traceback, and a refusal (2) is exactly one line on stderr."""

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_nn.cli import main
from autograd_nn.cli.expression import FUNCTIONS

NAMES = ["x", "y", "w1", "b", "ｘ", "é", "_", "lambda", "True", "exp", "foo", "__import__"]
TOKENS = [
    *"0123456789", ".", "e", "E", "_", "j", *NAMES, *[f"{name}(" for name in FUNCTIONS], "sum(",
    "+", "-", "*", "/", "**", "//", "%", "@", "(", ")", ",", "=", "==", "<", "[", "]", "{", "}", "'", '"', ":", ";",
    " ", "\t", "\n", "\x00", "\u00a0", "\u200b", "\u2028", "\ufeff", "١", "１", "𝑥", "ﬁ", "🙂", "\\", "#", "$",
    "1e308", "1e999", "9**9**9", "1/0", "0**-1", "(-8)**0.5", "1_000", "0x10", "2x", ".5", "5.",
]
# Long and deep texts: one piece repeated (x+x+…, ((((…, ------x, **…)
LONG = st.tuples(st.sampled_from(["x+", "(", ")", "-", "x**", "exp(", "abs(", "x*", "+x", "1", ","]),
                 st.integers(1, 3000)).map(lambda t: t[0] * t[1])
TEXTS = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
    st.lists(st.one_of(st.sampled_from(TOKENS), LONG), min_size=1, max_size=4).map("".join),
    st.text(max_size=40),  # any unicode at all
)
NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),  # ASCII numbers, from 5e-324 to 1.8e308
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "1_000", "１２", "٣", "0x10", "", " ", "abc", "+.5", "-0", "1e",
                     "9" * 400]),
    st.text(max_size=12),
)
ASSIGNMENTS = st.lists(st.tuples(st.sampled_from([*NAMES, "x", "x", "y", "1x", "", " x "]), NUMBERS)
                       .map(lambda t: f"{t[0]}={t[1]}"), max_size=4)
ODD_ITEMS = st.lists(st.sampled_from(["x", "=", "x==1", "--wrt", "-x", "--", "--out"]), max_size=2)

FUZZ = settings(deadline=None,  # max_examples from the profile (conftest.py): 60, or 1000 when thorough
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def call(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def check(argv):
    status, out, err = call(argv)
    assert status in (0, 1, 2), (argv, status, err)
    assert "Traceback" not in err, err
    if status == 2:
        assert len(err.splitlines()) == 1, (argv, err)
        assert err.startswith("autograd-nn"), err
    return status, out, err


@pytest.fixture(scope="module")
def picture(tmp_path_factory):
    return str(tmp_path_factory.mktemp("fuzz") / "g.svg")


@FUZZ
@given(text=TEXTS, values=ASSIGNMENTS, odd=ODD_ITEMS, command=st.sampled_from(["graph", "gradcheck", "explain"]),
       wrt=st.sampled_from(["x", "y", "ｘ", "z", "1"]), fitting=st.booleans())
def test_random_text_never_crashes(picture, text, values, odd, command, wrt, fitting):
    if fitting:  # values for the names the text seems to use, so that some texts get past NAME=VALUE too
        values, odd = [f"{name}=1.5" for name in ("x", "y", "w1", "b") if name in text], []
    extra = ["--out", picture] if command == "graph" else ["--wrt", wrt] if command == "explain" else []
    check([command, text, *values, *odd, *extra])


# Well-formed expressions over x and y with random values: most of these get past the parser, so they exercise
# evaluation, gradients, gradcheck's differences, drawing and derivations at odd points (0, huge, tiny, poles).
ATOMS = st.one_of(st.sampled_from(["x", "y", "x", "0", "1", "2", "0.5", "1e308", "1e-320", "(-1)"]),
                  st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: f"({v!r})"))


@st.composite
def formulas(draw, depth=4):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(ATOMS)
    kind = draw(st.sampled_from(["binary", "binary", "unary", "call"]))
    if kind == "binary":
        op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
        return f"({draw(formulas(depth - 1))} {op} {draw(formulas(depth - 1))})"
    if kind == "unary":
        return f"-{draw(formulas(depth - 1))}"
    name = draw(st.sampled_from(sorted(FUNCTIONS)))
    arity = FUNCTIONS[name].arity or 2
    return f"{name}({', '.join(draw(formulas(depth - 1)) for _ in range(arity))})"


POINTS = st.one_of(st.floats(-3, 3, allow_nan=False), st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1e300, 1e-8]))


@FUZZ
@given(text=formulas(), x=POINTS, y=POINTS, command=st.sampled_from(["graph", "gradcheck", "explain"]))
def test_random_formulas_at_random_points(picture, text, x, y, command):
    values = [f"x={x!r}"] * ("x" in text) + [f"y={y!r}"] * ("y" in text)
    extra = ["--out", picture] if command == "graph" else ["--wrt", "x"] if command == "explain" else []
    status, out, err = check([command, text, *values, *extra])
    if status == 0 and command != "explain":
        assert err == ""
    if status == 1:
        assert command == "gradcheck" and out.splitlines()[-1].startswith("failed:")

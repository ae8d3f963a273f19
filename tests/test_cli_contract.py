"""The command line's contract, example by example: bad input is exit status 2 and ONE line on stderr naming the
argument, the value and the expected form (never a traceback); a failed check is 1; success is 0."""

import math
import os
import re
from pathlib import Path

import pytest

import autograd_nn
from autograd_nn import DomainError, Value
from autograd_nn.cli import main
from autograd_nn.cli.commands import COMMANDS
from autograd_nn.cli.expression import FUNCTIONS, MAX_LENGTH, function_list, parse_expression
from autograd_nn.cli.main import EXPR_EPILOG
from autograd_nn.cli.training_commands import GRID, MAX_PARAMETERS, MIN_GRID, grid_size, parameter_count

ROOT = os.name == "posix" and os.geteuid() == 0


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def refused(capsys, *argv):
    """Run argv, check it is refused as bad input (exit 2, one line on stderr); return that line."""
    status, out, err = run(capsys, *argv)
    lines = err.splitlines()
    assert status == 2, (status, out, err)
    assert len(lines) == 1 and lines[0].startswith("autograd-nn"), err
    return lines[0]


def column(line):
    return int(re.search(r"column ([\d,]+)", line).group(1).replace(",", ""))


# -- constant sub-expressions go through the checked ops -----------------------------------------------------

@pytest.mark.parametrize("command", ["graph", "gradcheck", "explain"])
@pytest.mark.parametrize("expr, value, words, at", [
    ("9**9**9**9 * x", "x=2", ["9 ** 387420489", "more than 4,300 digits"], 5),  # an integer, as in Python
    ("x + 1/0", "x=1", ["1.0 / 0.0", "divisor must be non-zero"], 6),
    ("x + 0**-1", "x=1", ["0.0 ** -1", "non-zero for a negative exponent"], 6),
    ("x * (-8)**0.5", "x=1", ["(-8.0) ** 0.5", "fractional exponent"], 9),  # Python would make a complex number
    ("exp(1000) * x", "x=1", ["exp(1000.0)", "too large"], 1),
    ("x + 1e308 * 10", "x=1", ["1e+308 * 10.0"], 11),
])
def test_constant_sub_expressions_are_domain_errors_naming_the_op_and_where(capsys, tmp_path, command, expr, value,
                                                                            words, at):
    extra = ["--wrt", "x"] if command == "explain" else ["--out", tmp_path / "g.svg"] if command == "graph" else []
    line = refused(capsys, command, expr, value, *extra)
    for word in words:
        assert word in line
    assert column(line) == at
    assert not (tmp_path / "g.svg").exists()


def test_constants_are_evaluated_by_the_same_ops_on_floats():
    for text, expected in [("x * (-8)**2", 64.0), ("x * 2**-1", 0.5), ("x + -2**2", -3.0), ("x * 1e3", 1000.0),
                           ("x * exp(0) * sqrt(16) / maximum(1, 2)", 2.0), ("(-x)**2 + +x", 2.0)]:
        assert parse_expression(text).build({"x": Value(1.0)}).data == expected, text
    with pytest.raises(DomainError, match="divisor"):  # not ZeroDivisionError
        parse_expression("x / (1 - 1)").build({"x": Value(1.0)})


def test_numbers_the_parser_refuses(capsys):
    assert "too large for a float" in refused(capsys, "gradcheck", "x * 1" + "0" * 400, "x=1")
    assert "invalid number '1_000'" in refused(capsys, "gradcheck", "x * 1_000", "x=1")
    line = refused(capsys, "gradcheck", "x * ١٠", "x=1")  # Arabic-Indic digits
    assert "U+0661" in line and "ASCII digits" in line


# -- no recursion: long and deep expressions work, or are refused by a stated limit ----------------------------

def test_graph_of_500_terms_is_refused_by_the_drawing_limit(capsys, tmp_path):
    line = refused(capsys, "graph", "+".join(["x"] * 500), "x=1", "--out", tmp_path / "g.svg")
    assert "500 Values" in line and "max_nodes=250" in line and "shorter" in line
    assert not (tmp_path / "g.svg").exists()


def test_gradcheck_of_a_sum_of_495_variables(capsys):
    names = [f"x{i}" for i in range(495)]
    status, out, err = run(capsys, "gradcheck", "+".join(names), *[f"{n}={i % 7 - 3}" for i, n in enumerate(names)])
    assert status == 0, err
    rows = [line.split() for line in out.splitlines()[2:-1]]
    assert [r[0] for r in rows] == [f"∂f/∂{n}" for n in names]
    assert all(float(r[2]) == 1.0 and r[-1] == "ok" for r in rows)  # ∂(Σ xᵢ)/∂xᵢ = 1


def test_a_sum_of_50000_terms(capsys):
    expr = "+".join(["x"] * 50_000)
    status, out, err = run(capsys, "gradcheck", expr, "x=0.5")
    assert status == 0, err
    row = out.splitlines()[2].split()
    assert float(row[2]) == 50_000  # the analytic derivative
    assert "(99,999 characters)" in out.splitlines()[0]  # stdout does not repeat all of it either
    status, out, err = run(capsys, "explain", expr, "x=1", "--wrt", "x")  # paths are counted, not all written
    assert status == 0, err
    assert "sum over 50000 paths" in out and out.rstrip().endswith("= 5e+04")


def test_deep_nesting_needs_no_recursion():
    depth = 20_000
    for text in ["(" * depth + "x" + ")" * depth, "-" * depth + "x", "**".join(["x"] * depth),
                 "abs(" * 2_000 + "x" + ")" * 2_000]:
        expr = parse_expression(text)
        assert expr.build({"x": Value(1.0)}).data == 1.0
    assert parse_expression("-" * 5 + "x").depth == 6


def test_expression_length_limit(capsys):
    line = refused(capsys, "gradcheck", "x" + "+x" * (MAX_LENGTH // 2), "x=1")
    assert f"at most {MAX_LENGTH:,}" in line and len(line) < 300


def test_a_long_expression_is_not_echoed_whole(capsys):
    text = "+".join(["x"] * 5_000) + ")"  # 10,000 characters, the problem at the end
    line = refused(capsys, "graph", text, "x=1")
    assert len(line) < 250 and "(10,000 characters)" in line and "…" in line
    assert column(line) == 10_000 and "unmatched ')'" in line
    assert line.split("'")[1].endswith("x+x)")  # the excerpt shows the place the column points at


# -- output paths are checked before the work ----------------------------------------------------------------

def test_out_naming_a_directory(capsys, tmp_path):
    (tmp_path / "picture.svg").mkdir()
    line = refused(capsys, "graph", "x*2", "x=1", "--out", tmp_path / "picture.svg")
    assert "picture.svg" in line and "is a directory" in line


@pytest.mark.skipif(os.name != "posix" or ROOT, reason="root may write a read-only file")
def test_out_naming_a_read_only_file(capsys, tmp_path):
    target = tmp_path / "g.svg"
    target.write_text("old")
    target.chmod(0o444)
    line = refused(capsys, "graph", "x*2", "x=1", "--out", target)
    assert "g.svg" in line and "cannot write" in line
    assert target.read_text() == "old"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_out_under_proc(capsys):
    line = refused(capsys, "graph", "x*2", "x=1", "--out", "/proc/autograd-nn-test.svg")
    assert "'/proc'" in line and "not writable" in line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_train_save_to_an_unwritable_place_fails_before_training(capsys, tmp_path):
    status, out, err = run(capsys, "train", "--epochs", "1", "--samples", "20", "--layers", "2", "--no-progress",
                           "--out", tmp_path / "out", "--save", "/proc/model.json")
    assert status == 2 and "--save" in err and "'/proc'" in err and len(err.splitlines()) == 1
    assert "final loss" not in out and not (tmp_path / "out" / "loss_curve.png").exists()  # nothing trained


def test_train_save_naming_a_directory_fails_before_training(capsys, tmp_path):
    (tmp_path / "model.json").mkdir()
    status, out, err = run(capsys, "train", "--epochs", "1", "--samples", "20", "--layers", "2", "--no-progress",
                           "--out", tmp_path / "out", "--save", tmp_path / "model.json")
    assert status == 2 and "is a directory" in err and "final loss" not in out


@pytest.mark.parametrize("dataset, least", [("moons", 2), ("xor", 2), ("blobs", 3)])
def test_train_samples_minimum(capsys, dataset, least):
    loss = ["--loss", "cross_entropy"] if dataset == "blobs" else []
    line = refused(capsys, "train", "--dataset", dataset, *loss, "--samples", least - 1)
    assert f"--samples {least - 1}" in line and f"at least {least}" in line


def test_train_with_the_fewest_samples_works(capsys, tmp_path):
    status, out, err = run(capsys, "train", "--dataset", "blobs", "--loss", "cross_entropy", "--samples", "3",
                           "--layers", "2", "--epochs", "1", "--out", tmp_path, "--no-progress")
    assert status == 0, err
    assert (tmp_path / "decision_boundary.png").exists()


def test_train_with_binary_cross_entropy(capsys, tmp_path):
    # It reads the output as a probability: the network gets a sigmoid output unit (it used to be linear, and
    # the first negative output was a ValueError traceback).
    argv = ["train", "--loss", "binary_cross_entropy", "--samples", "20", "--epochs", "3", "--layers", "2",
            "--no-progress", "--out", tmp_path]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert (tmp_path / "decision_boundary.png").exists()
    line = refused(capsys, *argv, "--activation", "linear", "--lr", "10")  # saturates: exactly 1.0
    assert "reached exactly 0 or 1" in line and "--loss bce" in line and "--lr than 10" in line


# -- NAME=VALUE ----------------------------------------------------------------------------------------------

def test_a_variable_given_twice(capsys):
    line = refused(capsys, "gradcheck", "x*2", "x=2", "x=5")
    assert "x is given twice" in line and "'x=2'" in line and "'x=5'" in line


@pytest.mark.parametrize("value", ["1_000", "１２", "٣", "0x10", " 1 000"])
def test_values_are_ascii_numbers(capsys, value):
    line = refused(capsys, "gradcheck", "x*2", f"x={value}")
    assert repr(value.strip()) in line and ("ASCII digits" in line or "expected a number" in line)


def test_values_that_are_accepted():
    from autograd_nn.cli.expression import parse_assignments
    assert parse_assignments(["a=+1", "b=-.5", "c=2.", "d=1E3", " e = 7 "]) == \
        {"a": 1.0, "b": -0.5, "c": 2.0, "d": 1000.0, "e": 7.0}


def test_full_width_names_are_the_names_python_reads(capsys):
    status, out, err = run(capsys, "gradcheck", "ｘ * 3", "x=2")  # NFKC, as Python reads identifiers
    assert status == 0, err
    line = refused(capsys, "gradcheck", "x * 3", "x=2", "ｘ=4")
    assert "given twice" in line


# -- syntax errors point at the real column ------------------------------------------------------------------

@pytest.mark.parametrize("text, at, words", [
    ("x**", 2, "'**' has no right operand"),
    ("  x +* y", 6, "'*' without an operand"),  # leading spaces count: the column is the text's own
    ("tanh(x +", 8, "'+' has no right operand"),
    ("exp(x", 1, "'(' was never closed"),
    ("x + y)", 6, "unmatched ')'"),
    ("2 x", 3, "missing operator before 'x'"),
])
def test_syntax_error_columns(capsys, text, at, words):
    line = refused(capsys, "gradcheck", text, "x=1", *(["y=1"] if "y" in text else []))
    assert column(line) == at and words in line and repr(text) in line


def test_an_expression_starting_with_minus(capsys):
    line = refused(capsys, "gradcheck", "-x*y", "x=1", "y=2")
    assert "'-x*y'" in line and "after '--'" in line
    status, out, _ = run(capsys, "gradcheck", "--", "-x*y", "x=1", "y=2")  # as the message says
    assert status == 0 and out.splitlines()[2].split()[2] == "-2"  # ∂(-x·y)/∂x = -y


# -- the bare command, --version, help with defaults, the functions ------------------------------------------

def test_no_command_lists_the_commands(capsys):
    status, out, err = run(capsys)
    assert status == 2
    assert len(err.splitlines()) == 1
    for command in COMMANDS:
        assert command in err and f"    {command}" in out  # the error line names them, the help describes them


def test_version(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"autograd-nn {autograd_nn.__version__}"


def test_train_help_shows_the_defaults(capsys):
    status, out, _ = run(capsys, "train", "--help")
    assert status == 0
    text = " ".join(out.split())
    for option, default in [("--samples", "100"), ("--layers", "16,16"), ("--lr", "0.05"), ("--epochs", "100"),
                            ("--batch-size", "32"), ("--dataset", "moons"), ("--activation", "relu"),
                            ("--optimizer", "adam"), ("--loss", "hinge"), ("--out", "autograd_nn_train")]:
        after = text.split(f"  {option} ", 1)[1] if f"  {option} " in text else text.split(option)[-1]
        assert f"(default: {default})" in after.split(" --")[0], option
    assert "(default: False)" not in text and "(default: None)" not in text
    assert f"{MAX_PARAMETERS:,} parameters" in text


def test_the_functions_listed_come_from_FUNCTIONS(monkeypatch):
    for name in FUNCTIONS:
        assert f"{name}(" in EXPR_EPILOG
    monkeypatch.setitem(FUNCTIONS, "zzz_new_op", FUNCTIONS["maximum"])  # a new public op is listed, unedited
    assert function_list().endswith("zzz_new_op(x, y)")


def test_gradcheck_says_a_kink_was_accepted_by_the_one_sided_rule(capsys):
    status, out, err = run(capsys, "gradcheck", "relu(x) + 2*y", "x=0", "y=1")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[2].split()[0] == "∂f/∂x" and lines[2].split()[-1] == "kink"
    assert lines[3].split()[-1] == "ok"
    assert lines[-1].startswith("passed:") and "one-sided rule" in lines[-1] and "(∂f/∂x)" in lines[-1]


# -- sizes that cannot finish in reasonable time; a line before each long phase -------------------------------

def test_too_many_parameters(capsys):
    line = refused(capsys, "train", "--layers", "100000")
    assert "400,001 parameters" in line and f"at most {MAX_PARAMETERS:,}" in line
    assert parameter_count([100000], 1) == 400_001


def test_too_much_training(capsys):
    line = refused(capsys, "train", "--epochs", "10000000")
    assert "--epochs 10,000,000" in line and "at most" in line
    assert "the demo trains at most" in refused(capsys, "demo", "--epochs", "10000000")


def test_the_boundary_grid_shrinks_with_the_network():
    sizes = [grid_size(parameter_count([n], 1)) for n in (16, 100, 250, 1000, 4999)]
    assert sizes[0] == sizes[1] == GRID and sizes == sorted(sizes, reverse=True) and sizes[-1] >= MIN_GRID
    assert sizes[-2] < GRID // 2 + 1


def test_a_line_before_each_phase(capsys, tmp_path):
    status, out, err = run(capsys, "train", "--layers", "3", "--samples", "20", "--epochs", "1", "--out", tmp_path,
                           "--save", tmp_path / "m.json")
    assert status == 0, err
    phases = err.splitlines()
    assert len(phases) == 3
    assert phases[0].startswith("training a 2-3-1 relu MLP (13 parameters) on 20 moons points")
    assert phases[1].startswith(f"drawing the loss curve and the decision boundary ({GRID}×{GRID} grid")
    assert phases[2] == f"saving the model to {tmp_path / 'm.json'}"
    status, out, err = run(capsys, "train", "--layers", "3", "--samples", "20", "--epochs", "1", "--out", tmp_path,
                           "--no-progress")
    assert status == 0 and err == ""


# -- constants as Python evaluates them; what Python refuses is refused with its column --------------------------

@pytest.mark.parametrize("text", [
    "x + (10**16 + 1 - 10**16)", "x * 10**23", "x * 2**-1", "x + (10**400 - 10**400)", "x + 10**400 / 10**399",
    "x * 7 / 2", "x + (-2)**3 + -2**2", "x * 0**0", "x + 2**0.5", "x / 3 * 3", "x + (2**1023 * 2 - 2**1024 + 1)",
    "x + 3**40 - 3**40 * 1", "x * 00 + 0.07 + 07.5 + 07e1", "x * (2**53 + 1)",
])
def test_constants_are_evaluated_as_python_evaluates_them(text):
    expected = eval(text, {"x": 2.0})  # the reference: what Python computes for the same text
    assert parse_expression(text).build({"x": Value(2.0)}).data == expected


def test_the_issue_examples_print_pythons_numbers(capsys, tmp_path):
    for text, printed in [("x + (10**16 + 1 - 10**16)", "= 3"), ("x * 10**23", "= 2e+23")]:
        status, out, err = run(capsys, "graph", text, "x=2", "--out", tmp_path / "g.svg")
        assert status == 0, err
        assert out.splitlines()[0] == f"{text} {printed}"


@pytest.mark.parametrize("text, words, at", [
    ("07*x", ["invalid number '07'", "does not start with 0", "write '7'"], 1),
    ("x + 007", ["invalid number '007'"], 5),
    ("x²", ["the character '²' (U+00B2)", "write a power with ** (x**2)"], 2),
    ("2*y + x² - 1", ["'²'"], 8),
    ("x₂ + 1", ["the character '₂' (U+2082)", "x2 or x_2"], 2),
    ("x * 10**400", ["integer 100000000000… (an integer of 401 digits) is too large for a float"], 3),
    ("x + exp(10**400)", ["exp()", "too large for a float"], 5),
])
def test_what_python_refuses_is_refused_with_its_column(capsys, text, words, at):
    line = refused(capsys, "gradcheck", text, "x=1", *(["y=1"] if "y" in text else []))
    for word in words:
        assert word in line, line
    assert column(line) == at


def test_a_name_with_a_superscript_is_refused_in_an_assignment_too(capsys):
    assert "expected NAME=NUMBER, got 'x²=1'" in refused(capsys, "gradcheck", "x2 * 2", "x²=1")


@pytest.mark.parametrize("command", ["graph", "gradcheck"])
def test_the_echo_of_the_expression_escapes_control_characters(capsys, tmp_path, command):
    extra = ["--out", tmp_path / "g.svg"] if command == "graph" else []
    status, out, err = run(capsys, command, "x\v+\fx\n*2\t+\rx", "x=1", *extra)
    assert status == 0, err
    first = out.splitlines()[0]
    assert "x\\x0b+\\x0cx\\n*2\\t+\\rx" in first
    assert not any(c in out.replace("\n", "") for c in "\v\f\r\t")
    assert len(out.splitlines()) == (4 if command == "gradcheck" else 3)


def _constant_texts():
    from hypothesis import strategies as st
    leaves = st.one_of(st.integers(0, 10**20).map(str), st.sampled_from(["0.5", "3.25", "1e3", "x"]))

    def grow(inner):
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        power = st.tuples(inner, st.integers(-3, 6)).map(lambda t: f"({t[0]})**{t[1]}" if t[1] >= 0
                                                          else f"({t[0]})**({t[1]})")
        return st.one_of(binary, power, inner.map(lambda e: f"-{e}"))
    return st.recursive(leaves, grow, max_leaves=8)


def test_random_constant_expressions_give_pythons_number_or_are_refused():
    from hypothesis import given, settings

    @settings(max_examples=200, deadline=None)
    @given(_constant_texts())
    def check(text):
        text = f"x + {text}"
        try:
            expected = eval(text, {"x": 2.0})  # the reference: Python on the same text
        except (ZeroDivisionError, OverflowError):
            expected = None
        if isinstance(expected, complex):
            expected = None
        try:
            got = parse_expression(text).build({"x": Value(2.0)}).data
        except DomainError:
            assert expected is None or not math.isfinite(expected), text
            return
        assert expected is not None and got == expected, (text, got, expected)

    check()


# -- one error prefix, and hints for values given the wrong way -----------------------------------------------

@pytest.mark.parametrize("argv, command", [
    (["train", "--layers", "x"], "train"),                    # argparse's own check, in the sub-parser
    (["graph"], "graph"),                                     # a missing argument
    (["gradcheck", "x*y", "x=2", "--eps", "3"], "gradcheck"),  # an unknown option, found by the main parser
    (["explain", "x*y", "x=2", "y=3"], "explain"),            # --wrt missing
    (["gradcheck", "1/x", "x=0"], "gradcheck"),               # a DomainError from the engine
    (["gradcheck", "x*", "x=0"], "gradcheck"),                # an ExpressionError from the parser
    (["train", "--samples", "1"], "train"),                   # a UsageError from the command
    (["bogus"], None),
    ([], None),
])
def test_every_error_line_has_the_one_prefix_naming_the_command(capsys, argv, command):
    line = refused(capsys, *argv)
    prefix = f"autograd-nn {command}: error: " if command else "autograd-nn: error: "
    assert line.startswith(prefix), line
    assert line.count("error:") == 1 and not line[len(prefix):].startswith(f"{command}:"), line


def test_explain_with_the_value_in_wrt_says_how_to_split_it(capsys):
    line = refused(capsys, "explain", "x*y", "--wrt", "x=2", "y=3")
    assert "--wrt takes a variable's name only" in line and line.endswith("--wrt x x=2 y=3")


@pytest.mark.parametrize("argv, example", [
    (["gradcheck", "x*y", "--x", "x=2", "y=3"], "EXPR x=2"),
    (["gradcheck", "x*y", "--x=2", "y=3"], "EXPR x=2"),
    (["graph", "x*y", "--x", "2", "y=3"], "EXPR x=2"),
    (["explain", "x*y", "--y", "3", "--wrt", "x", "x=2"], "EXPR y=3 --wrt NAME"),
    (["gradcheck", "--x", "x=2"], "EXPR x=NUMBER"),
])
def test_a_variable_given_as_an_option_gets_a_hint(capsys, argv, example):
    line = refused(capsys, *argv)
    assert "unrecognized arguments" in line and "NAME=VALUE with no dashes" in line and line.endswith(example + ")")


def test_train_help_shows_every_default_including_a_zero(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr()[0].split())
    assert "the batches (default: 0)" in text and "learning rate (default: 0.05)" in text


def test_train_warns_when_the_loss_diverges_and_not_otherwise(capsys, tmp_path):
    common = ["train", "--samples", "20", "--layers", "3", "--epochs", "3", "--no-progress", "--out", tmp_path]
    status, out, err = run(capsys, *common, "--lr", "1e6")
    assert status == 0 and "final loss" in out
    (warning,) = err.splitlines()
    assert warning.startswith("autograd-nn train: warning: training diverged: the loss went from ")
    assert "(untrained)" in warning and warning.endswith("try a smaller --lr than 1e+06")
    status, out, err = run(capsys, *common)
    assert status == 0 and "warning" not in err

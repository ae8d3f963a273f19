"""The layering that the import contracts (lint-imports, pyproject.toml) cannot see: what importing loads."""

from __future__ import annotations

import ast
import subprocess
import sys

HEAVY = ("graphviz", "matplotlib", "hypothesis", "tqdm")


def loaded_after(statement: str) -> list[str]:
    code = (f"import sys\n{statement}\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return ast.literal_eval(done.stdout)


def test_importing_the_engine_or_the_package_loads_numpy_only() -> None:
    assert loaded_after("import autograd_nn.engine") == []
    assert loaded_after("import autograd_nn") == []
    assert loaded_after("import autograd_nn; autograd_nn.Value(1.0) * 2; autograd_nn.MLP(2, [2, 1])") == []


def test_lazy_names_load_on_first_use() -> None:
    assert "graphviz" in loaded_after("import autograd_nn; autograd_nn.draw_graph")
    assert "hypothesis" not in loaded_after("import autograd_nn; autograd_nn.gradcheck")
    assert loaded_after("import autograd_nn; autograd_nn.Tape") == []


def test_every_exported_name_resolves() -> None:
    import autograd_nn
    import autograd_nn.tape
    import autograd_nn.testing
    import autograd_nn.viz

    for name in autograd_nn.__all__:
        assert getattr(autograd_nn, name) is not None, name
    assert autograd_nn.Tape is autograd_nn.tape.Tape
    assert autograd_nn.gradcheck is autograd_nn.testing.gradcheck
    assert autograd_nn.render is autograd_nn.viz.render
    assert set(autograd_nn.__all__) <= set(dir(autograd_nn))


def test_a_value_shows_as_svg_in_a_notebook_through_the_lazy_hook() -> None:
    out = subprocess.run([sys.executable, "-c", "import sys, autograd_nn\n"
                          "svg = (autograd_nn.Value(2.0, label='v') * 3)._repr_svg_()\n"
                          "print('graphviz' in sys.modules, svg is not None and '<svg' in svg)"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True"]


def test_the_package_exports_every_public_function_of_the_op_table() -> None:
    import autograd_nn
    from autograd_nn.engine import FUNCTIONS

    for name, op in FUNCTIONS.items():
        assert name in autograd_nn.__all__ and getattr(autograd_nn, name) is op


def test_weighted_sum_refuses_an_even_number_of_operands() -> None:
    import pytest

    from autograd_nn.engine.ops import WEIGHTED_SUM

    with pytest.raises(TypeError, match="weighted_sum: .*odd number of arguments"):
        WEIGHTED_SUM(1.0, 2.0, 3.0, 4.0)

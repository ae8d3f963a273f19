"""The contract for drawing: any label shows as typed in an SVG that parses (both renderers), parallel edges are
one edge, a graph whose layout would take minutes is refused before any renderer runs, and the renderer never
runs past its timeout nor outlives the process that started it (timeout, Ctrl-C, SIGTERM)."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from viz_helpers import chain, dot_edges, dot_nodes, slow_dot

from autograd_nn import MLP, Value, weighted_sum
from autograd_nn.engine import Op, sum_of, topological_order
from autograd_nn.viz import GraphTooLarge, RenderError, animate_backward, draw_graph, draw_network, svg_text
from autograd_nn.viz.explain import explain
from autograd_nn.viz.graph import FAST_LAYOUT, edge_label, edge_span
from autograd_nn.viz.names import named, operand

R = importlib.import_module("autograd_nn.viz.render")  # the module (autograd_nn.viz.render is the function)
SVG = "{http://www.w3.org/2000/svg}"
RENDERERS = [pytest.param(True, id="graphviz-pure"),
             pytest.param(False, id="dot", marks=pytest.mark.skipif(not shutil.which("dot"),
                                                                       reason="no system Graphviz `dot`"))]
NASTY = ["&amp;", "a & b", "&lt;b&gt;", "<b>", "a\\", 'say "hi"', "\\n", "{a|b}", "\udcff", "a\x1bb", "x\uffff",
         "\x00", "tab\there", "line\nbreak", "\x85", "\u2028", "ok"]


def svg_lines(svg: str) -> list[str]:
    """The text of each <text> element, after checking the SVG parses as XML."""
    root = ET.fromstring(svg.encode("utf-8"))
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def shown(label: str) -> str:
    return R.display_text(label)


# -- labels --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("force_pure", RENDERERS)
def test_every_label_shows_as_typed_in_an_svg_that_parses(force_pure: bool) -> None:
    for label in NASTY:
        x, y = Value(2.0, label=label), Value(-3.0, label="y")
        z = x * y
        z.label = label + "!"
        z.backward()
        lines = svg_lines(svg_text(draw_graph(z, highlight=x), force_pure=force_pure))
        assert shown(label) in lines, (label, lines)  # the record's head field, exactly
        assert shown(label + "!") in lines
        legend = [t for t in lines if t.startswith("∂")]
        # after ∂ a label is written as explain writes it: in parentheses unless it is one word
        written = named(z)
        after_d = {v: operand(*written[v]) for v in (x, z)}
        assert after_d[x] in (label, f"({label})")
        assert legend == [f"∂{shown(after_d[z])}/∂{shown(after_d[x])} = (-3) = -3"], (label, legend)
        assert str(explain(z, x)).startswith(f"∂{after_d[z]}/∂{after_d[x]} = ")


@pytest.mark.parametrize("force_pure", RENDERERS)
def test_entities_are_not_decoded(force_pure: bool) -> None:
    v = Value(1.0, label="&amp;") + Value(2.0, label="&#38;")
    lines = svg_lines(svg_text(draw_graph(v), force_pure=force_pure))
    assert "&amp;" in lines and "&#38;" in lines  # shown as the user typed them, not as "&"


@pytest.mark.parametrize("force_pure", RENDERERS)
def test_control_characters_and_surrogates_become_visible_symbols(force_pure: bool) -> None:
    v = Value(1.0, label="a\x1bb\udcff\x7f") * 2
    lines = svg_lines(svg_text(draw_graph(v), force_pure=force_pure))
    assert "a␛b�␡" in lines


@pytest.mark.parametrize("force_pure", RENDERERS)
def test_a_long_label_is_cut_with_a_visible_ellipsis(force_pure: bool) -> None:
    long = "w" * 300
    v = Value(1.0, label=long) * 2
    lines = svg_lines(svg_text(draw_graph(v), force_pure=force_pure))
    assert "w" * 39 + "…" in lines and not any(long in t for t in lines)


@pytest.mark.parametrize("force_pure", RENDERERS)
def test_op_symbols_are_escaped_too(force_pure: bool) -> None:
    weird = Op("weird", lambda a: 2.0 * a, lambda a, out: (2.0,), symbol="<&amp;\x1b>")
    v = weird(Value(1.5, label="x"))
    v.backward()
    for collapse in ("weighted_sum", "none"):
        lines = svg_lines(svg_text(draw_graph(v, collapse=collapse), force_pure=force_pure))
        assert "<&amp;␛>" in lines


@pytest.mark.parametrize("force_pure", RENDERERS)
def test_network_labels_are_escaped(force_pure: bool) -> None:
    mlp = MLP(2, [2, 1], seed=0)
    mlp.layers[0].neurons[0].activation = "t&amp;\x1b\udcff"  # a look-alike object need not check its names
    mlp.layers[0].neurons[1].b.label = "<b&amp;\x1b>"
    lines = svg_lines(svg_text(draw_network(mlp), force_pure=force_pure))
    assert "a¹₁ = t&amp;␛�(z¹₁)" in lines and "<b&amp;␛> = 0" in lines


def test_step_page_captions_and_frames_are_clean(tmp_path: Path) -> None:
    a = Value(0.5, label="a\x1b&amp;\udcff")
    out = (a * a).tanh()
    out.label = "<out>"
    page = animate_backward(out, tmp_path / "steps.html", force_pure=True, title="t\x00").read_text("utf-8")
    assert "\x1b" not in page and "\x00" not in page
    assert "a␛&amp;amp;�" in page  # the caption names a as typed (HTML-escaped in the attribute)
    assert "step 1: &lt;out&gt; has grad 1" in page
    frames = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(frames) == 3
    for frame in frames:
        ET.fromstring(frame.encode("utf-8"))  # each inline SVG parses


@settings(max_examples=25)
@given(st.text(max_size=60))
def test_any_text_label_renders_and_shows_as_typed(label: str) -> None:
    v = Value(1.0, label=label) * 3
    v.backward()
    lines = svg_lines(svg_text(draw_graph(v), force_pure=True))
    if label.strip():  # Graphviz trims blanks at a record field's ends
        assert shown(label).strip() in [t.strip() for t in lines]


def test_render_source_replaces_what_an_svg_cannot_hold() -> None:
    # A graph built by hand, not by draw_graph: the DOT text itself is made safe before the renderer runs.
    src = 'digraph { a [label="esc\x1b surrogate\udcff nonchar\uffff"] }'
    lines = svg_lines(R.render_source(src, force_pure=True).decode("utf-8"))
    assert "esc␛ surrogate� nonchar�" in lines


# -- parallel edges ------------------------------------------------------------------------------------------

def test_an_input_used_many_times_by_one_op_is_one_edge() -> None:
    x = Value(1.0, label="x")
    s = sum_of([x] * 60)
    s.backward()
    src = draw_graph(s).source
    into_op = [a["label"] for _, dst, a in dot_edges(src) if dst.endswith("op")]
    assert into_op == ["1 ×60"]
    hidden = draw_graph(s, show_local_grads=False).source
    assert sorted(a.get("label", "") for _, _, a in dot_edges(hidden)) == ["", "×60"]
    svg = svg_text(draw_graph(s, highlight=x), force_pure=True)
    assert "1 ×60" in svg_lines(svg)


def test_parallel_edges_with_different_local_derivatives() -> None:
    x = Value(2.0, label="x")
    q = x / x  # ∂/∂numerator = 1/x, ∂/∂denominator = -x/x²
    q.backward()
    labels = [a["label"] for _, d, a in dot_edges(draw_graph(q).source) if d.endswith("op")]
    assert labels == ["0.5 + -0.5"]
    w = Value(3.0, label="w")
    z = weighted_sum([w, w], [Value(1.0), w], Value(0.0))  # w·1 + w·w: ∂z/∂w = 1 + 3 + 3
    z.backward()
    names = {n: f"v{i}" for i, n in enumerate(topological_order(z))}
    labels = {s: a["label"] for s, d, a in dot_edges(draw_graph(z).source) if d.endswith("op")}
    assert labels[names[w]] == "1 + 3 ×2" and w.grad == 7.0


def test_edge_label_forms() -> None:
    assert edge_label([-3.0]) == "-3"
    assert edge_label([1.0] * 60) == "1 ×60"
    assert edge_label([1.0, 1.0, 3.0]) == "1 ×2 + 3"
    assert edge_label([None, None]) == "undefined ×2"
    assert edge_label([1.0, 2.0, 3.0, 4.0, 4.0]) == "Σ 14 (of 5)"
    assert edge_label([1.0, 2.0, 3.0, None]) == "Σ undefined (of 4)"
    assert edge_label([1.0], show_local_grads=False) == ""
    assert edge_label([1.0, 5.0], show_local_grads=False) == "×2"


# -- layout that would take minutes --------------------------------------------------------------------------

def test_edge_span_counts_the_ranks_edges_pass() -> None:
    assert edge_span([("a", "b"), ("b", "c"), ("a", "c")]) == (1, "a", 2)
    assert edge_span([]) == (0, None, 0)
    # a leaf is ranked just before its first consumer: "k" feeding only "c" passes nothing
    assert edge_span([("a", "b"), ("b", "c"), ("k", "c")])[0] == 0
    # x + x + … + x: x feeds op k at rank 2k - 1 and passes 2k - 2 ranks on the way
    n = 60
    links = [(s, d) for s, d, _ in dot_edges(draw_graph(chain(n)).source)]
    assert edge_span(links) == ((n - 1) * (n - 2), "v0", n - 1)


def test_long_edges_get_the_fast_layout_and_short_ones_do_not() -> None:
    assert all(f"{k}={v}" in draw_graph(chain(60)).source for k, v in FAST_LAYOUT.items())
    assert "nslimit" not in draw_graph(chain(10)).source


def test_a_graph_whose_layout_would_take_minutes_is_refused() -> None:
    with pytest.raises(GraphTooLarge, match=r"draw_graph: .* more than max_edge_span=20000.*most from x: 149 edges"):
        draw_graph(chain(150))
    assert draw_graph(chain(150), max_edge_span=10**6).source  # a larger limit, when asked for
    xs = [Value(float(i)) for i in range(75)]
    dense = sum_of([sum_of(xs) for _ in range(75)])  # 151 Values, 5776 edges
    with pytest.raises(GraphTooLarge, match=r"has 5776 edges, more than max_edges=5000"):
        draw_graph(dense)
    with pytest.raises(ValueError, match="max_edge_span must be a whole number"):
        draw_graph(chain(3), max_edge_span=-1)
    with pytest.raises(ValueError, match="max_edges must be a whole number"):
        draw_graph(chain(3), max_edges=2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("force_pure", RENDERERS)
def test_sixty_terms_draw_quickly(force_pure: bool) -> None:
    # Was 162 s in `dot` and minutes in graphviz-pure. A generous guard: finishes, or our clear error, in 60 s.
    start = time.monotonic()
    for root in (chain(60), chain(140), sum_of([Value(1.0, label="x")] * 60)):
        lines = svg_lines(R.svg_text(draw_graph(root), force_pure=force_pure, timeout=60))
        assert "x" in lines
    assert time.monotonic() - start < 60


# -- the renderer process ------------------------------------------------------------------------------------

def children(pid: int) -> dict[int, str]:
    """The live child processes of pid, with their command names (from /proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(stat.parent.name)] = name
    return found


def gone(pid: int, within: float = 15.0) -> bool:
    """Whether process pid has ended (or is a zombie, dead but not yet waited for) within the given seconds."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@linux_only
@pytest.mark.parametrize("force_pure", RENDERERS)
def test_timeout_stops_the_renderer_with_a_clear_error(force_pure: bool) -> None:
    start = time.monotonic()
    with pytest.raises(RenderError, match=r"took longer than 0\.5 s .* smaller part .*collapse='neurons'.*timeout="):
        R.render_source(slow_dot(), force_pure=force_pure, timeout=0.5)
    assert time.monotonic() - start < 30  # stopped, not waited for
    assert not children(os.getpid())


@linux_only
def test_the_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRAD_NN_RENDER_TIMEOUT", "0.5")
    with pytest.raises(RenderError, match=r"took longer than 0\.5 s"):
        R.render_source(slow_dot(), force_pure=True)
    for bad in ("soon", "0", "-1", "nan", "inf"):
        monkeypatch.setenv("AUTOGRAD_NN_RENDER_TIMEOUT", bad)
        with pytest.raises(RenderError, match=r"\$AUTOGRAD_NN_RENDER_TIMEOUT must be a .*number of seconds"):
            R.render_source("digraph {}", force_pure=True)
    assert not children(os.getpid())


def test_bad_timeout_arguments() -> None:
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timeout must be a positive, finite number of seconds"):
            R.render_source("digraph {}", timeout=bad)
    for wrong in ("5", True):
        with pytest.raises(TypeError, match="timeout must be a number of seconds"):
            R.render_source("digraph {}", timeout=wrong)  # type: ignore[arg-type]


@linux_only
def test_an_interrupt_kills_the_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []

    def interrupted(self: subprocess.Popen[bytes], *args: object, **kwargs: object) -> None:
        started.append(self.pid)
        raise KeyboardInterrupt  # as Ctrl-C would, while the renderer works

    monkeypatch.setattr(subprocess.Popen, "communicate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        R.render_source(slow_dot(), force_pure=True)
    assert started and not Path(f"/proc/{started[0]}").exists()  # killed and reaped: not even a zombie left
    assert not children(os.getpid())


def fake_renderer(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-dot"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


@linux_only
def test_a_failing_or_killed_renderer_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "renderer", lambda force_pure=False: fake_renderer(tmp_path, "echo boom >&2; exit 3"))
    with pytest.raises(RenderError, match=r"fake-dot -Tsvg failed \(exit 3\): boom"):
        R.render_source("digraph {}")
    monkeypatch.setattr(R, "renderer", lambda force_pure=False: fake_renderer(tmp_path, "kill -SEGV $$"))
    with pytest.raises(RenderError, match=r"fake-dot -Tsvg was killed by SIGSEGV"):
        R.render_source("digraph {}")


@linux_only
def test_a_renderer_that_starts_processes_of_its_own_leaves_none(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A wrapper script around the real program: on timeout its whole process group is stopped.
    pidfile = tmp_path / "background.pid"
    monkeypatch.setattr(R, "renderer", lambda force_pure=False: fake_renderer(
        tmp_path, f"sleep 300 & echo $! > {pidfile}; sleep 300"))
    with pytest.raises(RenderError, match="took longer than 0.5 s"):
        R.render_source("digraph {}", timeout=0.5)
    assert gone(int(pidfile.read_text()), within=5)


DRAWING = textwrap.dedent("""
    import os, signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C raises KeyboardInterrupt, as usual
    sys.path.insert(0, {tests!r})
    from viz_helpers import slow_dot
    from autograd_nn.viz.render import render_source
    print("drawing", flush=True)
    try:
        render_source(slow_dot(), force_pure={force_pure}, timeout=600)
    except KeyboardInterrupt:
        left = [pid for pid in os.listdir("/proc") if pid.isdigit() and os.path.exists(f"/proc/{{pid}}/stat")
                and open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[-1].split()[1] == str(os.getpid())]
        print("interrupted; children left:", left, flush=True)
""")


@linux_only
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("force_pure", RENDERERS)
def test_the_renderer_dies_with_the_process_that_started_it(force_pure: bool, how: signal.Signals) -> None:
    code = DRAWING.format(tests=str(Path(__file__).parent), force_pure=force_pure)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "drawing\n"
        end = time.monotonic() + 30
        while not (kids := children(parent.pid)) and time.monotonic() < end:
            time.sleep(0.05)
        assert kids, "the renderer never started"
        (renderer_pid, name), = kids.items()
        assert name in ("dot", "graphviz-pure")
        parent.send_signal(how)
        parent.wait(timeout=30)
        assert gone(renderer_pid), f"{name} (pid {renderer_pid}) outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@linux_only
@pytest.mark.parametrize("force_pure", RENDERERS)
def test_ctrl_c_kills_and_reaps_the_renderer(force_pure: bool) -> None:
    code = DRAWING.format(tests=str(Path(__file__).parent), force_pure=force_pure)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "drawing\n"
        end = time.monotonic() + 30
        while not children(parent.pid) and time.monotonic() < end:
            time.sleep(0.05)
        assert children(parent.pid), "the renderer never started"
        parent.send_signal(signal.SIGINT)
        out, _ = parent.communicate(timeout=30)
        assert out == "interrupted; children left: []\n"  # not running, and not a zombie either
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_graph_command_with_sixty_terms(tmp_path: Path) -> None:
    expr = "+".join(["x"] * 60)
    out = tmp_path / "g.svg"
    done = subprocess.run([sys.executable, "-m", "autograd_nn", "graph", expr, "x=1", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "x" in svg_lines(out.read_text("utf-8"))
    expr = "+".join(["x"] * 150)
    done = subprocess.run([sys.executable, "-m", "autograd_nn", "graph", expr, "x=1", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "max_edge_span" in done.stderr and "Traceback" not in done.stderr


def test_a_long_chain_rule_is_summed_up_in_the_legend() -> None:
    x = Value(0.1, label="x")
    y = x
    for _ in range(40):
        y = y.tanh()
    y.label = "y"
    y.backward()
    legend = dot_nodes(draw_graph(y, highlight=x).source)["legend"]["label"]
    assert legend == f"∂y/∂x = Π of the 40 local derivatives on the red path = {x.grad:.4g}"
    z = x * 2.0
    z.label = "z"
    z.backward()
    assert dot_nodes(draw_graph(z, highlight=x).source)["legend"]["label"] == "∂z/∂x = (2) = 2"  # short: written out

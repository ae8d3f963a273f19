"""Rendering: SVG through graphviz-pure (no system Graphviz needed), parsed back; errors; notebook display."""

from __future__ import annotations

import importlib
import io
import re
import shutil
import sys
import xml.etree.ElementTree as ET
import zlib

import pytest

from autograd_nn import MLP, Value
from autograd_nn.viz import RenderError, draw_graph, draw_network, render

SVG = "{http://www.w3.org/2000/svg}"
R = importlib.import_module("autograd_nn.viz.render")  # the module (autograd_nn.viz.render is the function)


def svg_texts(path) -> list[str]:  # noqa: ANN001
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def test_graph_renders_to_svg_with_graphviz_pure(tmp_path) -> None:  # noqa: ANN001
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    z = x * y
    z.backward()
    texts = svg_texts(render(draw_graph(z, highlight=x), tmp_path / "g.svg", force_pure=True))
    for expected in ("x", "data 2", "grad -3", "data -6", "grad 1", "*", "-3"):
        assert expected in texts
    assert any(t.startswith("∂(x * y)/∂x") for t in texts)  # the root named as explain names it


def test_network_renders_to_png_with_graphviz_pure(tmp_path) -> None:  # noqa: ANN001
    data = render(draw_network(MLP(2, [2, 1], seed=0)), tmp_path / "n.png", format="png", force_pure=True)
    assert data.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_value_renders_directly(tmp_path) -> None:  # noqa: ANN001
    v = Value(1.5, label="v") * 2
    assert "data 3" in svg_texts(render(v, tmp_path / "v.svg", force_pure=True))


def test_clear_error_when_no_renderer(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(RenderError, match="install Graphviz.*graphviz-pure"):
        render(Value(1.0), tmp_path / "x.svg")


def test_bad_format_and_target(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="format must be one of"):
        render(Value(1.0), tmp_path / "x.gif", format="gif")
    with pytest.raises(TypeError, match="expected a Value or a graphviz graph"):
        render("digraph {}", tmp_path / "x.svg")  # type: ignore[arg-type]


def test_notebook_display_of_value_and_graph() -> None:
    v = Value(2.0, label="v") * 3
    svg = v._repr_svg_()
    assert svg is not None and "data 6" in "".join(ET.fromstring(svg.encode()).itertext())
    bundle = draw_graph(v)._repr_mimebundle_()
    assert "data 6" in "".join(ET.fromstring(bundle["image/svg+xml"].encode()).itertext())


def test_render_takes_the_format_from_the_suffix_and_rejects_a_mismatch(tmp_path):
    png = render(Value(2.0, label="x"), tmp_path / "x.png", force_pure=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"ends in \.png but format='svg'"):
        render(Value(1.0), tmp_path / "y.png", format="svg", force_pure=True)
    assert not (tmp_path / "y.png").exists()


def test_every_format_renders_without_system_graphviz(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    # no `dot` anywhere: graphviz-pure writes SVG and PNG, and the PDF holds its PNG at PDF_DPI on a page the
    # picture's size
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "dot" else real_which(name))
    x = Value(2.0, label="x")
    y = (x * x).tanh()
    y.label = "y"
    y.backward()
    g = draw_graph(y, highlight=x)
    svg = render(g, tmp_path / "g.svg")
    assert "grad 1" in svg_texts(svg)
    width, height = (float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
                                                 svg.read_text("utf-8")).groups())
    assert render(g, tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = render(g, tmp_path / "g.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    box = [float(v) for v in re.search(rb"/MediaBox \[\s*([\d. ]+)\]", pdf).group(1).split()]
    assert box[2:] == pytest.approx([width, height], abs=1.5)  # the page is the picture's size in points
    image = re.search(rb"/Width (\d+).*?/Height (\d+)", pdf, re.S)
    assert (int(image.group(1)), int(image.group(2))) == pytest.approx(
        (width * R.PDF_DPI / 72, height * R.PDF_DPI / 72), abs=4)  # sharp: 3 pixels per point


def test_a_pdf_through_graphviz_pure_shows_the_picture(tmp_path) -> None:  # noqa: ANN001
    # The PDF's page is the PNG graphviz-pure draws at PDF_DPI, transparent parts white: the same pixels
    from PIL import Image

    g = draw_network(MLP(2, [2, 1], seed=0))
    png = R.render_source(g.source, "png", force_pure=True)  # 96 dpi
    pdf = render(g, tmp_path / "n.pdf", force_pure=True).read_bytes()
    sharp = R._run(R.renderer(True), ["-Tpng", f"-Gdpi={R.PDF_DPI}"], g.source, 30.0)
    with Image.open(io.BytesIO(sharp)) as im:
        assert im.size[0] > 2 * Image.open(io.BytesIO(png)).size[0]
        white = Image.new("RGB", im.size, "white")
        white.paste(im, mask=im.getchannel("A"))
        expected = white.tobytes()
    stream = re.search(rb"/Subtype /Image .*?/FlateDecode .*?stream\n(.*?)\nendstream", pdf, re.S).group(1)
    assert zlib.decompress(stream) == expected  # lossless: every pixel as drawn

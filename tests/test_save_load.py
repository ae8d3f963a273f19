"""Save/load: exact round trip, atomic write (the old file survives a failed write), clear errors on bad files."""

import json
import os

import pytest

from autograd_nn import MLP
from autograd_nn.serialize import FORMAT, VERSION, ModelFileError, load_mlp, save_mlp


@pytest.fixture
def model():
    m = MLP(3, [4, 2], activation="relu", output_activation="sigmoid", seed=11)
    m.layers[0].neurons[0].w[0].data = 0.1 + 0.2  # a float whose shortest repr has 17 digits
    m.layers[1].neurons[1].b.data = 5e-324  # the smallest subnormal
    return m


def test_round_trip_is_exact(tmp_path, model):
    path = tmp_path / "m.json"
    save_mlp(model, path)
    loaded = load_mlp(path)
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    assert (loaded.nin, loaded.nouts, loaded.activation, loaded.output_activation) == (3, [4, 2], "relu", "sigmoid")
    assert [o.data for o in loaded([0.1, 0.2, 0.3])] == [o.data for o in model([0.1, 0.2, 0.3])]
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    assert os.listdir(tmp_path) == ["m.json"]  # no temp file left behind


def test_save_replaces_an_existing_file(tmp_path, model):
    path = tmp_path / "m.json"
    save_mlp(MLP(1, [1], seed=0), path)
    save_mlp(model, path)
    assert load_mlp(path).nouts == [4, 2]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, model, monkeypatch):
    path = tmp_path / "m.json"
    save_mlp(model, path)
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_mlp(MLP(1, [1], seed=0), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]


def test_nan_parameter_is_refused_and_old_file_kept(tmp_path, model):
    path = tmp_path / "m.json"
    save_mlp(model, path)
    before = path.read_bytes()
    bad = MLP(3, [4, 2], seed=0)
    bad.layers[0].neurons[0].b.data = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        save_mlp(bad, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.json"]


TEXT_CASES = {  # whole-file damage: the new text from the saved text (None: delete the file)
    "missing": (None, "no such file"),
    "empty": (lambda text: "", "empty"),
    "truncated": (lambda text: text[: len(text) // 2], "not valid JSON"),
    "garbage": (lambda text: "\x00\x01binary", "not valid JSON"),
    "not a model": (lambda text: '{"hello": 1}', "not an autograd_nn model"),
}
DOC_CASES = {  # valid JSON that does not describe the model: a change to the parsed document
    "version": (lambda d: d.update(version=99), "version 99"),
    "missing field": (lambda d: d.pop("layers"), "missing field 'layers'"),
    "bad activation": (lambda d: d.update(activation="swish"), "'activation' is 'swish'"),
    "too few layers": (lambda d: d["layers"].pop(), "must list 2 layers"),
    "too few neurons": (lambda d: d["layers"][1].pop(), "layer 1 must have 2 neurons"),
    "wrong weight count": (lambda d: d["layers"][0][2]["w"].pop(), "layer 0 neuron 2 has 2 weights, expected 3"),
    "string weight": (lambda d: d["layers"][0][0]["w"].__setitem__(1, "0.5"), "weight 1 must be a finite number"),
    "bool bias": (lambda d: d["layers"][1][0].update(b=True), "bias must be a finite number"),
    "bad nin": (lambda d: d.update(nin=0), "'nin' must be a positive integer"),
}


def damaged(text, case):
    if case in TEXT_CASES:
        change = TEXT_CASES[case][0]
        return None if change is None else change(text)
    doc = json.loads(text)
    DOC_CASES[case][0](doc)
    return json.dumps(doc)


@pytest.mark.parametrize("case", [*TEXT_CASES, *DOC_CASES])
def test_bad_files_raise_clear_errors_naming_the_file(tmp_path, model, case):
    path = tmp_path / "m.json"
    save_mlp(model, path)
    new = damaged(path.read_text(), case)
    if new is None:
        path.unlink()
    else:
        path.write_text(new)
    before = path.read_bytes() if path.exists() else None
    message = {**TEXT_CASES, **DOC_CASES}[case][1]
    with pytest.raises(ModelFileError, match=message) as info:
        load_mlp(path)
    assert str(path) in str(info.value)
    assert (path.read_bytes() if path.exists() else None) == before  # loading changes nothing
    assert isinstance(info.value, ValueError)

"""Save/load: exact round trip, atomic write (the old file survives a failed write), clear errors on bad files;
files of format version 1 (per-neuron "layers") still load."""

import errno
import json
import math
import os
import re
import signal
import stat
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_nn import MLP
from autograd_nn.nn import ACTIVATIONS
from autograd_nn.serialize import FORMAT, VERSION, ModelFileError, load_mlp, save_mlp, to_dict


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
    assert doc["format"] == FORMAT and doc["version"] == VERSION == 2
    assert os.listdir(tmp_path) == ["m.json"]  # no temp file left behind


def test_the_file_holds_the_architecture_and_the_state_dict(tmp_path, model):
    path = tmp_path / "m.json"
    save_mlp(model, path)
    doc = json.loads(path.read_text())
    assert doc == {"format": FORMAT, "version": 2, "nin": 3, "nouts": [4, 2], "activation": "relu",
                   "output_activation": "sigmoid",
                   "state_dict": {key: array.tolist() for key, array in model.state_dict().items()}}
    assert list(doc["state_dict"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # PyTorch's names and order
    assert doc["state_dict"]["0.weight"][0][0] == 0.1 + 0.2 and doc["state_dict"]["2.bias"][1] == 5e-324
    assert to_dict(model) == doc


# --- version 1: the files earlier releases wrote -----------------------------------------------------------------


def version_1_document(model):
    """The document the version-1 writer produced: layers → neurons → {"w": [...], "b": ...}."""
    return {"format": FORMAT, "version": 1, "nin": model.nin, "nouts": list(model.nouts),
            "activation": model.activation, "output_activation": model.output_activation,
            "layers": [[{"w": [float(w.data) for w in n.w], "b": float(n.b.data)} for n in layer.neurons]
                       for layer in model.layers]}


def write_version_1(model, path):
    """Write `model` exactly as the version-1 save_mlp did."""
    path.write_text(json.dumps(version_1_document(model), allow_nan=False, indent=1) + "\n", encoding="utf-8")


@pytest.mark.parametrize("activation,output_activation", [("relu", "sigmoid"), ("linear", "tanh"), ("tanh", "linear")])
def test_a_version_1_file_loads_bit_for_bit(tmp_path, activation, output_activation):
    m = MLP(3, [4, 3, 2], activation=activation, output_activation=output_activation, seed=5)
    m.layers[0].neurons[0].w[0].data = 0.1 + 0.2
    m.layers[2].neurons[1].b.data = -5e-324
    path = tmp_path / "old.json"
    write_version_1(m, path)
    loaded = load_mlp(path)
    assert (loaded.nin, loaded.nouts, loaded.activation, loaded.output_activation) == (
        3, [4, 3, 2], activation, output_activation)
    assert [p.data.hex() for p in loaded.parameters()] == [p.data.hex() for p in m.parameters()]
    assert [o.data for o in loaded([0.1, -0.2, 0.3])] == [o.data for o in m([0.1, -0.2, 0.3])]
    save_mlp(loaded, path)  # saving again writes version 2, with the same bits
    assert json.loads(path.read_text())["version"] == 2
    assert [p.data.hex() for p in load_mlp(path).parameters()] == [p.data.hex() for p in m.parameters()]


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
    with pytest.raises(ModelFileError, match="No space left on device; the old file is unchanged") as info:
        save_mlp(MLP(1, [1], seed=0), path)
    monkeypatch.undo()
    assert f"cannot save model to {str(path)!r}" in str(info.value) and "autograd_nn-tmp" not in str(info.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]


def force(p, x):
    """Set a parameter to x, reaching past an engine that refuses non-finite data (save's check is the last guard)."""
    try:
        p.data = x
    except ValueError:  # Value.data refuses NaN: write the slot behind it
        p._data = x


def test_nan_parameter_is_refused_and_old_file_kept(tmp_path, model):
    path = tmp_path / "m.json"
    save_mlp(model, path)
    before = path.read_bytes()
    bad = MLP(3, [4, 2], seed=0)
    force(bad.layers[1].neurons[1].w[2], float("nan"))
    with pytest.raises(ModelFileError, match=r"parameter '2\.weight'\[1, 2\] is nan, not a finite number; nothing "
                                             "written"):
        save_mlp(bad, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.json"]
    force(bad.layers[1].neurons[1].w[2], 0.5)
    force(bad.layers[0].neurons[3].b, -math.inf)
    with pytest.raises(ModelFileError, match=r"parameter '0\.bias'\[3\] is -inf, not a finite number"):
        save_mlp(bad, tmp_path / "new.json")
    assert os.listdir(tmp_path) == ["m.json"]


TEXT_CASES = {  # whole-file damage: the new text from the saved text (None: delete the file)
    "missing": (None, "no such file"),
    "empty": (lambda text: "", "empty"),
    "truncated": (lambda text: text[: len(text) // 2], "not valid JSON"),
    "garbage": (lambda text: "\x00\x01binary", "not valid JSON"),
    "not a model": (lambda text: '{"hello": 1}', "not an autograd_nn model"),
}
DOC_CASES = {  # valid JSON that does not describe the model: a change to the parsed version-2 document
    "version": (lambda d: d.update(version=99), "version 99"),
    "missing field": (lambda d: d.pop("state_dict"), "missing field 'state_dict'"),
    "bad activation": (lambda d: d.update(activation="swish"), "'activation' is 'swish'"),
    "bad nin": (lambda d: d.update(nin=0), "'nin' must be a positive integer"),
    "missing key": (lambda d: d["state_dict"].pop("2.bias"), r"missing key\(s\) \['2\.bias'\]"),
    "unexpected key": (lambda d: d["state_dict"].update({"4.weight": [[1.0]]}), r"unexpected key\(s\) \['4\.weight'\]"),
    "renumbered key": (lambda d: d["state_dict"].update({"1.weight": d["state_dict"].pop("2.weight")}),
                       r"missing key\(s\) \['2\.weight'\]; unexpected key\(s\) \['1\.weight'\]"),
    "wrong shape": (lambda d: d["state_dict"]["0.weight"].pop(), r"'0\.weight' has shape \(3, 3\), expected \(4, 3\)"),
    "transposed": (lambda d: d["state_dict"].update({"2.weight": [list(c) for c in zip(*d["state_dict"]["2.weight"])]}),
                   r"'2\.weight' has shape \(4, 2\), expected \(2, 4\)"),
    "ragged": (lambda d: d["state_dict"]["0.weight"][1].pop(), r"'0\.weight' could not be read as an array"),
    "string weight": (lambda d: d["state_dict"]["0.weight"][0].__setitem__(1, "0.5"),
                      r"'state_dict' '0\.weight'\[0, 1\] must be a finite number, got '0\.5'"),
    "bool bias": (lambda d: d["state_dict"]["2.bias"].__setitem__(0, True),
                  r"'state_dict' '2\.bias'\[0\] must be a finite number, got True"),
    "null weight": (lambda d: d["state_dict"]["2.weight"][1].__setitem__(3, None), r"'2\.weight'\[1, 3\] .*got None"),
    "object for a row": (lambda d: d["state_dict"]["0.weight"].__setitem__(2, {"w": 1}), r"'0\.weight'\[2\] .*got \{"),
    "not an object": (lambda d: d.update(state_dict=[[1.0]]), "expected a mapping of names to arrays, got list"),
    "nan": (lambda d: d["state_dict"]["0.bias"].__setitem__(2, math.nan), r"'0\.bias'\[2\] = nan is not finite"),
}
V1_CASES = {  # the same for a version-1 file, as the version-1 loader named them
    "version": (lambda d: d.update(version=99), "version 99"),
    "missing field": (lambda d: d.pop("layers"), "missing field 'layers'"),
    "fields of version 2": (lambda d: d.update(state_dict={}),
                            "unexpected field.*'state_dict'.*a version 1 model file"),
    "bad activation": (lambda d: d.update(activation="swish"), "'activation' is 'swish'"),
    "too few layers": (lambda d: d["layers"].pop(), "must list 2 layers"),
    "too few neurons": (lambda d: d["layers"][1].pop(), "layer 1 must have 2 neurons"),
    "wrong weight count": (lambda d: d["layers"][0][2]["w"].pop(), "layer 0 neuron 2 has 2 weights, expected 3"),
    "string weight": (lambda d: d["layers"][0][0]["w"].__setitem__(1, "0.5"), "weight 1 must be a finite number"),
    "bool bias": (lambda d: d["layers"][1][0].update(b=True), "bias must be a finite number"),
    "bad nin": (lambda d: d.update(nin=0), "'nin' must be a positive integer"),
    "extra neuron field": (lambda d: d["layers"][1][0].update(bias=0.0),
                           "layer 1 neuron 0 has unexpected field.*'bias'"),
    "neuron not an object": (lambda d: d["layers"][0].__setitem__(1, [0.5]), "layer 0 neuron 1 must be an object"),
    "nan weight": (lambda d: d["layers"][1][1]["w"].__setitem__(2, math.nan),
                   r"'2\.weight'\[1, 2\] = nan is not finite"),
}


def damaged(text, case, cases):
    if case in TEXT_CASES:
        change = TEXT_CASES[case][0]
        return None if change is None else change(text)
    doc = json.loads(text)
    cases[case][0](doc)
    return json.dumps(doc)


@pytest.mark.parametrize("version,case", [*((2, c) for c in [*TEXT_CASES, *DOC_CASES]),
                                          *((1, c) for c in [*TEXT_CASES, *V1_CASES])])
def test_bad_files_raise_clear_errors_naming_the_file(tmp_path, model, version, case):
    path = tmp_path / "m.json"
    (save_mlp if version == 2 else write_version_1)(model, path)
    cases = DOC_CASES if version == 2 else V1_CASES
    new = damaged(path.read_text(), case, cases)
    if new is None:
        path.unlink()
    else:
        path.write_text(new)
    before = path.read_bytes() if path.exists() else None
    message = {**TEXT_CASES, **cases}[case][1]
    with pytest.raises(ModelFileError, match=message) as info:
        load_mlp(path)
    assert str(path) in str(info.value)
    assert (path.read_bytes() if path.exists() else None) == before  # loading changes nothing
    assert isinstance(info.value, ValueError)


# --- the contract: every bad file is a ModelFileError naming the file, never another exception ---------------


def saved_text(model):
    return json.dumps(to_dict(model), indent=1)


def load_text(tmp_path, text, name="m.json"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    with pytest.raises(ModelFileError) as info:
        load_mlp(path)
    assert f"cannot load model from {str(path)!r}" in str(info.value)
    return str(info.value)


@pytest.mark.parametrize("literal,shown", [
    ("1" * 401, "must be a finite number, got an integer of 401 digits"),
    ("-" + "7" * 5000, "must be a finite number, got an integer of 5000 digits"),  # beyond Python's int-to-str limit
    ("9" * 330, "must be a finite number, got an integer of 330 digits"),  # fits Python's limit, not a float
    ("1e400", "= inf is not finite"), ("-Infinity", "= -inf is not finite"), ("NaN", "= nan is not finite"),
])
@pytest.mark.parametrize("version", [1, 2])
def test_weights_beyond_any_float_are_named(tmp_path, model, literal, shown, version):
    if version == 2:
        doc = to_dict(model)
        doc["state_dict"]["0.weight"][1][2] = "SLOT"
        where = "'state_dict' '0.weight'[1, 2]" if "integer" in shown else "'0.weight'[1, 2]"
    else:
        doc = version_1_document(model)
        doc["layers"][0][1]["w"][2] = "SLOT"
        where = "layer 0 neuron 1 weight 2" if "integer" in shown else "'0.weight'[1, 2]"
    message = load_text(tmp_path, json.dumps(doc).replace('"SLOT"', literal))
    assert f"{where} {shown}" in message
    assert len(message) < 300  # a huge literal is summarised, not echoed


def test_a_huge_network_in_a_small_file_is_refused_before_it_is_built(tmp_path, model):
    doc = to_dict(model)
    doc["nouts"] = [10**6, 10**6]  # (3 + 1)·10⁶ + (10⁶ + 1)·10⁶ weights and biases
    message = load_text(tmp_path, json.dumps(doc))
    assert "describe 1000005000000 parameters, more than a file of" in message and "bytes can hold" in message


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": ' * 100_000, "[" * 100_000 + "]" * 100_000])
def test_deeply_nested_json_is_refused(tmp_path, text):
    assert "nested too deeply" in load_text(tmp_path, text)


@pytest.mark.parametrize("change,match", [
    (lambda d: d.update(activation=["relu"]), r"'activation' is \['relu'\], expected one of"),  # TypeError before
    (lambda d: d.update(output_activation={"a": 1}), r"'output_activation' is \{'a': 1\}, expected one of"),
    (lambda d: d.update(version=2.0), "format version 2.0 is not supported .*the integers 1 and 2"),
    (lambda d: d.update(version=True), "format version True is not supported"),
    (lambda d: d.update(version="2"), "format version '2' is not supported"),
    (lambda d: d.update(version=1), "missing field 'layers'"),
    (lambda d: d.update(comment="hi"), "unexpected field.*'comment'"),
    (lambda d: d.update(layers=[]), "unexpected field.*'layers'.*a version 2 model file has exactly"),
    (lambda d: d.update(nin=3.0), "'nin' must be a positive integer, got 3.0"),
    (lambda d: d.update(nouts=[4, True]), "'nouts' must be a non-empty list of positive integers"),
])
def test_wrong_types_and_extra_keys_are_refused(tmp_path, model, change, match):
    doc = to_dict(model)
    change(doc)
    assert re.search(match, load_text(tmp_path, json.dumps(doc)))


def test_duplicate_keys_are_refused(tmp_path, model):
    text = saved_text(model)
    assert "the key 'nin' appears more than once" in load_text(tmp_path, text.replace('"nin"', '"nin": 7, "nin"', 1))
    inner = text.replace('"0.bias":', '"0.bias": [1, 2, 3, 4], "0.bias":', 1)
    assert "the key '0.bias' appears more than once" in load_text(tmp_path, inner)
    old = json.dumps(version_1_document(model), indent=1).replace('"b":', '"b": 0.5, "b":', 1)
    assert "the key 'b' appears more than once" in load_text(tmp_path, old)


def test_not_utf8_and_whitespace_only(tmp_path, model):
    assert "not a text file" in load_text(tmp_path, saved_text(model).encode() + b"\xff\xfe")
    assert "empty" in load_text(tmp_path, " \n\t")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "m.json"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match=f"{str(fifo)!r}: it is a FIFO"):
        load_mlp(fifo)  # before: blocked forever in open()
    with pytest.raises(ModelFileError, match=f"cannot save model to {str(fifo)!r}: it is a FIFO"):
        save_mlp(MLP(1, [1], seed=0), fifo)


def test_a_directory_is_refused_both_ways(tmp_path):
    with pytest.raises(ModelFileError, match="it is a directory, not a regular file"):
        load_mlp(tmp_path)
    with pytest.raises(ModelFileError, match="it is a directory, not a regular file"):
        save_mlp(MLP(1, [1], seed=0), tmp_path)


def test_path_and_model_types_are_checked():
    with pytest.raises(TypeError, match="load_mlp: path must be a str or os.PathLike, got int 3"):
        load_mlp(3)
    with pytest.raises(TypeError, match="save_mlp: model must be an MLP, got dict"):
        save_mlp({}, "m.json")


def test_saving_into_a_missing_directory_names_the_target(tmp_path, model):
    target = tmp_path / "no" / "such" / "m.json"
    with pytest.raises(ModelFileError) as info:
        save_mlp(model, target)
    assert str(info.value) == (f"cannot save model to {str(target)!r}: the directory "
                               f"{str(target.parent)!r} does not exist")
    assert os.listdir(tmp_path) == []


def test_read_only_file_system_names_the_target_and_keeps_the_old_file(tmp_path, model, monkeypatch):
    path = tmp_path / "m.json"
    save_mlp(model, path)
    before = path.read_bytes()
    real_open = os.open

    def read_only(file, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(file))
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(ModelFileError) as info:
        save_mlp(MLP(1, [1], seed=0), path)
    monkeypatch.undo()
    assert str(info.value) == f"cannot save model to {str(path)!r}: {os.strerror(errno.EROFS)}; nothing written"
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_new_files_get_the_usual_permissions_and_replaced_files_keep_theirs(tmp_path, model):
    old = os.umask(0o022)
    try:
        save_mlp(model, tmp_path / "a.json")
        os.umask(0o077)
        save_mlp(model, tmp_path / "b.json")
        (tmp_path / "a.json").chmod(0o640)
        save_mlp(MLP(1, [1], seed=0), tmp_path / "a.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "b.json").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "a.json").st_mode) == 0o640
    os.umask(0o022)
    try:
        save_mlp(model, tmp_path / "c.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "c.json").st_mode) == 0o644  # was 0600 (the temp file's)


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_saving_through_a_symlink_updates_the_file_and_keeps_the_link(tmp_path, model):
    real = tmp_path / "real.json"
    save_mlp(MLP(1, [1], seed=0), real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save_mlp(model, link)
    assert link.is_symlink() and load_mlp(real).nouts == [4, 2]


KILLED_SAVE = """
import os, signal, sys
from autograd_nn import MLP
from autograd_nn.serialize import save_mlp
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # die half-way through the write
save_mlp(MLP(1, [1], seed=0), sys.argv[1])
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_save_leaves_a_recognisable_temp_file_that_the_next_save_removes(tmp_path, model):
    path = tmp_path / "m.json"
    save_mlp(model, path)
    before = path.read_bytes()
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    (left,) = [name for name in os.listdir(tmp_path) if name != "m.json"]
    assert left.startswith(".m.json.autograd_nn-tmp-")
    assert path.read_bytes() == before and load_mlp(path).nouts == [4, 2]  # the old file is intact
    dead_pid = left.split("-tmp-")[1].split("-")[0]
    other = tmp_path / f".other.json.autograd_nn-tmp-{dead_pid}-abcd"  # another target's: kept
    other.write_text("")
    mine = tmp_path / f".m.json.autograd_nn-tmp-{os.getpid()}-abcd"  # a save running in this process: kept
    mine.write_text("")
    save_mlp(MLP(2, [1], seed=0), path)
    assert sorted(os.listdir(tmp_path)) == sorted(["m.json", other.name, mine.name])
    assert load_mlp(path).nin == 2


# --- property: random bytes and random JSON give a valid MLP or a ModelFileError, nothing else -------------------


class Raw:
    """A JSON literal written as is (an integer too long for json.dumps, say)."""

    def __init__(self, text):
        self.text = text


def emit(x):
    """JSON text for x; an object is a list of (key, value) pairs, so duplicate keys can be written."""
    if isinstance(x, Raw):
        return x.text
    if isinstance(x, list):
        return "[" + ",".join(emit(v) for v in x) + "]"
    if isinstance(x, tuple):
        return "{" + ",".join(json.dumps(k) + ":" + emit(v) for k, v in x[1]) + "}"
    return json.dumps(x)  # nan and inf become NaN and Infinity, which Python's json reads back


_KEYS = ["format", "version", "nin", "nouts", "activation", "output_activation", "layers", "w", "b", "state_dict",
         "0.weight", "0.bias", "1.weight", "2.weight", "2.bias"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.sampled_from(["tanh", "relu", "linear", "sigmoid", FORMAT]), st.integers(-2, 4),
    st.integers(300, 5000).map(lambda n: Raw("8" * n)), st.sampled_from([Raw("1.0"), Raw("1e999"), Raw("-0")]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.lists(st.tuples(st.sampled_from([*_KEYS, "x"]) | st.text(max_size=3), inner),
                                     max_size=4).map(lambda pairs: ("obj", pairs))),
    max_leaves=12,
)


def as_pairs(x):
    """A parsed document back into the emit() form (objects as pair lists)."""
    if isinstance(x, dict):
        return ("obj", [(k, as_pairs(v)) for k, v in x.items()])
    if isinstance(x, list):
        return [as_pairs(v) for v in x]
    return x


def paths_into(x, prefix=()):
    yield prefix
    if isinstance(x, tuple):
        for i, (_, v) in enumerate(x[1]):
            yield from paths_into(v, (*prefix, ("obj", i)))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from paths_into(v, (*prefix, i))


def replaced(x, path, new):
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(step, tuple):
        pairs = list(x[1])
        key, value = pairs[step[1]]
        pairs[step[1]] = (key, replaced(value, rest, new))
        return ("obj", pairs)
    return [replaced(v, rest, new) if i == step else v for i, v in enumerate(x)]


@st.composite
def model_files(draw):
    """Mostly a valid small model file with one value anywhere replaced, key added or key repeated; else noise."""
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return emit(draw(json_values)).encode()
    base = MLP(draw(st.integers(1, 2)), draw(st.lists(st.integers(1, 2), min_size=1, max_size=2)),
               activation=draw(st.sampled_from(sorted(ACTIVATIONS))), seed=0)
    doc = as_pairs(draw(st.sampled_from([to_dict, version_1_document]))(base))
    path = draw(st.sampled_from(list(paths_into(doc))))
    how = draw(st.sampled_from(["replace", "add key", "keep"]))
    if how == "replace":
        doc = replaced(doc, path, draw(json_values))
    elif how == "add key":
        doc = ("obj", [*doc[1], (draw(st.sampled_from([*_KEYS, "extra"])), draw(json_values))])
    text = emit(doc)
    if draw(st.booleans()):  # and sometimes cut short
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode()


@settings(max_examples=200, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(model_files())
def test_any_file_loads_as_a_valid_mlp_or_raises_model_file_error(tmp_path_factory, content):
    path = tmp_path_factory.getbasetemp() / "property.json"
    path.write_bytes(content)
    try:
        loaded = load_mlp(path)
    except ModelFileError as exc:
        assert str(path) in str(exc)
        return
    assert isinstance(loaded, MLP)
    # accepted means: the file is exactly what save_mlp writes (or the version-1 writer wrote) for the loaded
    # model (no extra or repeated key, the version the integer 1 or 2, every parameter as written), up to
    # whitespace and int-valued floats
    doc = json.loads(content, object_pairs_hook=pairs_once)
    assert typed(doc) == typed((to_dict if doc["version"] == 2 else version_1_document)(loaded))
    assert all(math.isfinite(p.data) and type(p.data) is float for p in loaded.parameters())
    out = loaded([0.5] * loaded.nin)
    assert all(math.isfinite(o.data) for o in (out if isinstance(out, list) else [out]))


def pairs_once(pairs):
    assert len({k for k, _ in pairs}) == len(pairs), f"duplicate key accepted: {pairs}"
    return dict(pairs)


def typed(x, parameter=False):
    """x with the type of every number kept (1, 1.0 and true differ), except that a parameter is a float."""
    if isinstance(x, dict):
        return {k: typed(v, parameter or k in ("w", "b", "state_dict")) for k, v in x.items()}
    if isinstance(x, list):
        return [typed(v, parameter) for v in x]
    if parameter and type(x) is int:
        return ("float", x)  # 3 == 3.0
    return (type(x).__name__, x)


def test_a_long_double_beyond_float64_is_named_as_given_with_no_numpy_warning():
    import warnings

    import numpy as np

    from autograd_nn import MLP
    m = MLP(2, [1], seed=0)
    state = m.state_dict()
    before = [p.data for p in m.parameters()]
    big = np.array([np.longdouble("1e400")], dtype=np.longdouble)
    if not np.isfinite(big[0]):
        pytest.skip("this platform's long double is float64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow RuntimeWarning would fail the test
        with pytest.raises(ValueError, match=r"'0.bias'\[0\] = 1e\+400 \(float128\) is beyond float64's range"):
            m.load_state_dict({**state, "0.bias": big})
    assert [p.data for p in m.parameters()] == before


def test_a_masked_array_is_refused():
    import numpy as np

    from autograd_nn import MLP
    m = MLP(2, [1], seed=0)
    state = m.state_dict()
    before = [p.data for p in m.parameters()]
    hidden = np.ma.masked_array([[1e6, 2.0]], mask=[[True, False]])
    with pytest.raises(TypeError, match=r"'0.weight' is a masked array; its masked entries would be loaded"):
        m.load_state_dict({**state, "0.weight": hidden})
    assert [p.data for p in m.parameters()] == before

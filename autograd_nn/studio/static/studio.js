"use strict";
// The live studio: every number comes from the Python session over /api/<name> (POST, JSON, with the token).

(() => {
  const config = JSON.parse(document.getElementById("config").textContent);
  const $ = id => document.getElementById(id);
  const S = {  // what the page knows of the session
    run: null, losses: [], accs: [], grads: [], structure: null, points: null, weights: [], boundary: null,
    net: null, playing: false, selected: null, phase: null, steps: 0, draws: 0, requests: 0,
    waited: 0, drawn: 0,  // milliseconds spent waiting for the server and drawing (a benchmark reads them)
  };
  window.studio = S;  // for a test or a benchmark to read

  function note(text, isError) {
    const p = $("note");
    p.textContent = text || "";
    p.className = isError ? "error" : "";
  }

  async function api(name, body) {
    S.requests++;
    const t0 = performance.now();
    const r = await fetch("/api/" + name, {
      method: "POST", headers: {"Content-Type": "application/json", "X-Studio-Token": config.token},
      body: JSON.stringify(body || {}),
    });
    const out = await r.json();
    S.waited += performance.now() - t0;
    if (!r.ok) throw new Error(out.error || ("HTTP " + r.status));
    return out;
  }

  // run an action, showing its error (a refused setting, a loss that overflowed) in the note, not the console
  async function act(name, body) {
    try {
      const out = await api(name, body);
      apply(out);
      if (out.note) note(out.note); else if (name !== "step") note("");
      return out;
    } catch (err) {
      stop();
      note(err.message, true);
      return null;
    }
  }

  function withRun(body) {
    return {run: S.run, since: S.losses.length, ...(body || {})};
  }

  function fillSelect(select, options, value) {
    select.innerHTML = "";
    for (const [v, text] of options) {
      const o = document.createElement("option");
      o.value = v; o.textContent = text; select.appendChild(o);
    }
    select.value = value;
  }

  function showStructure(st) {
    S.structure = st;
    const s = st.settings;
    $("hidden").value = s.hidden.join(",");
    fillSelect($("activation"), st.activations.map(a => [a, a]), s.activation);
    fillSelect($("loss"), Object.entries(st.losses).map(([k, v]) => [k, k + ": " + v]), s.loss);
    $("optimizer").value = s.optimizer;
    $("lr").value = s.lr; $("batchSize").value = s.batch_size; $("l2").value = s.l2;
    S.net = new Draw.Network($("net"), st.sizes, st.names, pick);
    S.selected = null;
  }

  function showPoints(pts) {
    S.points = pts;
    $("pointCount").textContent = pts.X.length;
    $("sample").max = pts.X.length - 1;
    $("sample").value = pts.sample;
    if (pts.dataset !== "custom") { $("dataset").value = pts.dataset; $("noise").value = pts.noise; }
    const cls = $("addClass"), keep = cls.value;
    fillSelect(cls, Array.from({length: pts.classes}, (_, k) => [k, k]), keep < pts.classes ? keep : "0");
  }

  function apply(out) {
    if (out.structure) showStructure(out.structure);
    if (out.points) showPoints(out.points);
    const f = out.frame;
    if (f) {
      if (f.run !== S.run || f.since === 0) { S.losses = []; S.accs = []; S.grads = []; S.run = f.run; }
      S.losses.length = f.since; S.accs.length = f.since; S.grads.length = f.since;
      S.losses.push(...f.losses); S.accs.push(...f.accuracies); S.grads.push(...f.gradient_sizes);
      S.weights = f.weights; S.boundary = f.boundary; S.steps = f.step;
      if (f.heat) S.net.heat(f.heat, S.structure.heat_size);
      redraw();
    }
    if (out.phases) showPhase(out.phases, "update");
    if (out.explain) showExplain(out.explain, out.evaluated);
  }

  function redraw() {
    const t0 = performance.now();
    Draw.plane($("plane"), S.boundary, S.points, S.phase ? S.phase.sample : Number($("sample").value));
    const top = S.net.update(S.phaseEdges || S.weights);
    S.net.describe(S.weights, S.phase && S.phaseEdges === S.phase.grads ? S.phase.grads : null);
    Draw.key($("key"), top, S.phaseEdges ? "∂C/∂w" : "weight");
    S.net.select(S.selected);
    Draw.curves($("curves"), S.losses, S.accs);
    Draw.gradients($("grads"), S.grads);
    const last = S.losses.length - 1;
    $("stepCount").textContent = S.steps;
    $("lossText").textContent = last >= 0 ? Draw.fmt(S.losses[last]) : "–";
    $("accText").textContent = last >= 0 ? (100 * S.accs[last]).toFixed(0) + "%" : "–";
    const status = $("status");
    status.dataset.firstLoss = S.losses.length ? String(S.losses[0]) : "";
    status.dataset.lastLoss = last >= 0 ? String(S.losses[last]) : "";
    status.dataset.points = S.points.X.length;
    S.draws++;
    status.dataset.draws = S.draws;
    S.drawn += performance.now() - t0;
  }

  // -- time: play, step, rewind, new seed --------------------------------------------------------------------

  function speed() { const v = Number($("speed").value); return v > 60 ? Infinity : v; }

  // While the page draws one step, the server already computes the next (one request ahead).
  async function loop() {
    let k = 0, t0 = performance.now();
    let next = api("step", withRun({n: 1, heat: true}));
    while (next) {
      let out;
      try { out = await next; } catch (err) { stop(); note(err.message, true); return; }
      next = null;
      k++;
      const wait = 1000 / speed() - (performance.now() - t0);
      if (S.playing && !(wait > 1)) {
        t0 = performance.now();
        next = api("step", {run: out.frame.run, since: out.frame.since + out.frame.losses.length, n: 1,
                            heat: k % 8 === 0});
      }
      apply(out);
      if (S.playing && wait > 1) {
        await new Promise(r => setTimeout(r, wait));
        if (!S.playing) break;
        t0 = performance.now();
        next = api("step", withRun({n: 1, heat: k % 8 === 0}));
      }
    }
    S.looping = false;
  }

  function stop() { S.playing = false; $("play").textContent = "▶ play"; }

  $("play").onclick = () => {
    if (S.playing) { stop(); return; }
    clearPhase();
    S.playing = true; $("play").textContent = "❚❚ pause";
    if (!S.looping) { S.looping = true; loop(); }
  };
  $("stepOnce").onclick = () => { stop(); clearPhase(); act("step", withRun({n: 1, heat: true})); };
  $("rewind").onclick = () => { stop(); clearPhase(); act("rewind", {}); };
  $("newSeed").onclick = () => { stop(); clearPhase(); act("new_seed", {}); };
  $("speed").oninput = () => { $("speedText").textContent = speed() === Infinity ? "max" : speed() + "/s"; };

  $("exportPage").onclick = async () => {
    stop();
    const r = await fetch("/api/export?token=" + encodeURIComponent(config.token));
    if (!r.ok) { note("export failed: " + (await r.json()).error, true); return; }
    const url = URL.createObjectURL(await r.blob()), a = document.createElement("a");
    a.href = url; a.download = "studio-run.html"; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    note("saved the run as studio-run.html (it replays with a slider, no server needed)");
  };

  // -- settings and data -------------------------------------------------------------------------------------

  function change(changes) { stop(); clearPhase(); act("settings", withRun({changes})); }
  $("activation").onchange = () => change({activation: $("activation").value});
  $("loss").onchange = () => change({loss: $("loss").value});
  $("optimizer").onchange = () => change({optimizer: $("optimizer").value});
  $("lr").onchange = () => change({lr: Number($("lr").value)});
  $("batchSize").onchange = () => change({batch_size: Math.round(Number($("batchSize").value))});
  $("l2").onchange = () => change({l2: Number($("l2").value)});
  $("hidden").onchange = () => {
    const text = $("hidden").value.trim();
    const sizes = text === "" ? [] : text.split(/[\s,]+/).map(Number);
    if (sizes.some(n => !Number.isInteger(n))) { note("hidden layers: sizes such as 16,16 (whole numbers)", true); return; }
    change({hidden: sizes});
  };
  function newData() {
    stop(); clearPhase();
    act("data", withRun({dataset: $("dataset").value, n: Math.round(Number($("nPoints").value)),
                         noise: Number($("noise").value), seed: 0}));
  }
  $("regenerate").onclick = newData;
  $("dataset").onchange = () => {
    const usual = {moons: 0.1, circles: 0.05, xor: 0, spiral: 0.1, blobs: 0.5};
    $("noise").value = usual[$("dataset").value];
    newData();
  };

  function mode() { return document.querySelector('input[name="mode"]:checked').value; }

  $("plane").onclick = e => {
    const c = $("plane"), box = c.getBoundingClientRect();
    const px = (e.clientX - box.left) * c.width / box.width, py = (e.clientY - box.top) * c.height / box.height;
    let near = -1, best = 8 * c.width / box.width;
    S.points.X.forEach((p, i) => {
      const [x, y] = Draw.toPixel(c, S.points.extent, p[0], p[1]), d = Math.hypot(x - px, y - py);
      if (d < best) { best = d; near = i; }
    });
    if (mode() === "sample") {
      if (near >= 0) { $("sample").value = near; runPhase("forward"); }
      return;
    }
    stop(); clearPhase();
    if (near >= 0) { act("remove_point", withRun({index: near})); return; }
    const [x1, x2] = Draw.toPlane(c, S.points.extent, px, py);
    act("add_point", withRun({x1, x2, label: Number($("addClass").value)}));
  };

  // -- one sample's phases -----------------------------------------------------------------------------------

  function clearPhase() {
    S.phase = null; S.phaseEdges = null;
    if (S.net) S.net.label(null);
    $("phaseText").dataset.phase = "";
  }

  function neuronRows(p, what) {
    const rows = [];
    p.z.forEach((zs, l) => zs.forEach((z, j) => {
      rows.push({l: l + 1, j: j + 1, z, a: p.a[l][j], d: p.delta[l][j]});
    }));
    const sup = n => String(n).split("").map(c => "⁰¹²³⁴⁵⁶⁷⁸⁹"[c]).join("");
    const sub = n => String(n).split("").map(c => "₀₁₂₃₄₅₆₇₈₉"[c]).join("");
    const head = what === "forward" ? "<tr><th>neuron</th><th>zˡⱼ</th><th>aˡⱼ</th></tr>"
                                    : "<tr><th>neuron</th><th>δˡⱼ = ∂C/∂zˡⱼ</th></tr>";
    const body = rows.slice(0, 40).map(r => what === "forward"
      ? `<tr><td>z${sup(r.l)}${sub(r.j)}, a${sup(r.l)}${sub(r.j)}</td><td>${Draw.fmt(r.z)}</td><td>${Draw.fmt(r.a)}</td></tr>`
      : `<tr><td>δ${sup(r.l)}${sub(r.j)}</td><td>${Draw.fmt(r.d)}</td></tr>`).join("");
    return `<table class="numbers">${head}${body}</table>` + (rows.length > 40 ? `<p>… ${rows.length - 40} more</p>` : "");
  }

  // values flow one layer at a time: left to right forward, right to left backward
  function flow(perLayer, fromRight, done) {
    const L = S.structure.sizes.length;
    let l = fromRight ? L - 1 : 0;
    const tick = () => {
      S.net.label(perLayer, l, fromRight);
      l += fromRight ? -1 : 1;
      if (fromRight ? l >= 1 : l < L) setTimeout(tick, 180); else done();
    };
    tick();
  }

  function showPhase(p, what) {
    S.phase = p;
    const text = $("phaseText");
    const x = `x = (${p.x.map(Draw.fmt).join(", ")}), label y = ${p.label}`;
    text.dataset.phase = what + "…";
    if (what === "forward") {
      S.phaseEdges = null;
      redraw();
      const perLayer = [p.x.map(v => Draw.fmt(v)), ...p.a.map(r => r.map(v => "a=" + Draw.fmt(v)))];
      text.innerHTML = `<p><b>Forward</b>, sample ${p.sample}: ${x}. Each neuron computes zˡⱼ = Σₖ wˡⱼₖ aˡ⁻¹ₖ + bˡⱼ, ` +
        `then aˡⱼ = σ(zˡⱼ); the cost is C = ${Draw.fmt(p.cost)}.</p>` + neuronRows(p, "forward");
      flow(perLayer, false, () => { text.dataset.phase = "forward"; });
    } else if (what === "backward") {
      S.phaseEdges = p.grads;
      redraw();
      const perLayer = [p.x.map(() => ""), ...p.delta.map(r => r.map(v => "δ=" + Draw.fmt(v)))];
      text.innerHTML = `<p><b>Backward</b>, sample ${p.sample}: δ flows from the output back, ` +
        `δˡ = (wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ′(zˡ), and each ∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ; the lines now show ∂C/∂w.</p>` +
        neuronRows(p, "backward");
      flow(perLayer, true, () => { text.dataset.phase = "backward"; });
    } else {
      S.phaseEdges = p.updates;
      redraw();
      text.innerHTML = `<p><b>Update</b>: every weight moved by −η·∂C/∂w with η = ${Draw.fmt(p.lr)} ` +
        `(one gradient step on sample ${p.sample} alone); the lines show the change the next update would make. ` +
        `The cost of this sample is now C = ${Draw.fmt(p.cost)}.</p>`;
      S.net.label(null);
      text.dataset.phase = "update";
    }
  }

  async function runPhase(what) {
    stop();
    const sample = Math.round(Number($("sample").value));
    try {
      if (what === "update") {
        const out = await api("update", withRun({sample, heat: true}));
        apply(out);
      } else {
        const out = await api("phases", {sample});
        showPhase(out.phases, what);
      }
      if (S.selected !== null) explainParam(S.selected);
    } catch (err) { note(err.message, true); }
  }
  $("phaseForward").onclick = () => runPhase("forward");
  $("phaseBackward").onclick = () => runPhase("backward");
  $("phaseUpdate").onclick = () => runPhase("update");

  // -- a parameter: explain(C, w) and a slider ----------------------------------------------------------------

  function pick(index) { stop(); S.selected = index; S.net.select(index); explainParam(index); }

  async function explainParam(index) {
    const sample = Math.round(Number($("sample").value));
    try { showExplain((await api("explain", {index, sample})).explain); } catch (err) { note(err.message, true); }
  }

  function showExplain(ex, evaluated) {
    const box = $("weightInfo");
    let slider = $("paramSlider");
    if (!slider || Number(box.dataset.index) !== ex.index) {
      const lo = Math.min(-3, Math.floor(ex.value) - 1), hi = Math.max(3, Math.ceil(ex.value) + 1);
      box.innerHTML = `<p class="param"><b id="paramName"></b> = <span id="paramValue"></span>
        <input id="paramSlider" type="range" min="${lo}" max="${hi}" step="0.01"></p>
        <p>∂C/∂<span class="pname"></span> on sample <span id="paramSample"></span> =
        <b id="paramGrad"></b> <span class="hint">(explain(C, w): the chain rule with its numbers)</span></p>
        <div id="paramMath" class="math"></div><pre id="paramText"></pre><p id="paramCost" class="hint"></p>`;
      slider = $("paramSlider");
      slider.value = ex.value;
      let pending = null, inFlight = false;
      const send = async () => {
        if (inFlight) return;
        inFlight = true;
        while (pending !== null) {
          const value = pending; pending = null;
          await act("set_parameter", withRun({index: ex.index, value, sample: Math.round(Number($("sample").value)),
                                              heat: true}));
        }
        inFlight = false;
      };
      slider.oninput = () => { stop(); pending = Number(slider.value); send(); };
      box.dataset.index = ex.index;
    }
    $("paramName").textContent = ex.name;
    box.querySelector(".pname").textContent = ex.name;
    $("paramValue").textContent = Draw.fmt(ex.value);
    $("paramSample").textContent = ex.sample;
    const g = $("paramGrad");
    g.textContent = Draw.fmt(ex.grad);
    g.dataset.grad = String(ex.grad);
    $("paramMath").innerHTML = Draw.chainMath(ex);
    $("paramText").textContent = ex.text;
    $("paramCost").textContent = `C on this sample = ${Draw.fmt(ex.cost)}` +
      (evaluated ? `; loss on all points = ${Draw.fmt(evaluated.loss)}, accuracy ${(100 * evaluated.accuracy).toFixed(0)}%` : "");
  }

  act("state", {});
})();

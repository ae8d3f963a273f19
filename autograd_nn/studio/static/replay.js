"use strict";
// The exported replay: the run's kept frames (weights, boundary, loss) with a slider; no server, no network.

(() => {
  const run = JSON.parse(document.getElementById("config").textContent);
  const $ = id => document.getElementById(id);
  const st = run.structure, frames = run.frames;
  const net = new Draw.Network($("net"), st.sizes, st.names, null);
  const slider = $("frame");
  slider.max = frames.length - 1;
  $("about").textContent = `${st.sizes.join("-")} network, ${st.activation} hidden layers, loss ${st.loss}, ` +
    `optimizer ${st.settings.optimizer} (η = ${st.settings.lr}), ${run.points.X.length} points; ` +
    `${run.losses.length} steps` + (run.stride > 1 ? `, every ${run.stride}th kept` : "") + ".";

  function show(k) {
    const f = frames[k];
    Draw.plane($("plane"), f.boundary, run.points, null);
    Draw.key($("key"), net.update(f.weights), "weight");
    net.describe(f.weights, null);
    Draw.curves($("curves"), run.losses, run.accuracies, Math.max(f.step - 1, 0));
    $("stepCount").textContent = f.step;
    $("lossText").textContent = Draw.fmt(f.loss);
    $("accText").textContent = f.accuracy === null ? "–" : (100 * f.accuracy).toFixed(0) + "%";
    $("frameText").textContent = `frame ${k + 1} of ${frames.length}`;
    document.body.dataset.frame = k;
  }

  slider.oninput = () => show(Number(slider.value));
  let timer = null;
  $("play").onclick = () => {
    if (timer) { clearInterval(timer); timer = null; $("play").textContent = "▶ play"; return; }
    $("play").textContent = "❚❚ pause";
    if (Number(slider.value) >= frames.length - 1) slider.value = 0;
    timer = setInterval(() => {
      const k = Number(slider.value) + 1;
      if (k >= frames.length) { clearInterval(timer); timer = null; $("play").textContent = "▶ play"; return; }
      slider.value = k; show(k);
    }, 60);
  };
  show(0);
})();

"use strict";
// Drawing shared by the live studio and its exported replay: the data plane with the network's output, the
// network diagram (weights as lines, each neuron's output over the plane as a tile), the curves, the
// gradient sizes, and the chain rule as MathML. Plain JavaScript, SVG and canvas: nothing is fetched.

const Draw = (() => {
  const CLASS = ["#e8810c", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"];
  const POS = [8, 119, 189], NEG = [232, 129, 12];  // the colours of a positive and a negative number
  const SVG = "http://www.w3.org/2000/svg";

  function bytes(b64) {
    const text = atob(b64), out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  function rgb(hex) {
    return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
  }

  function fmt(x) {
    if (x === null || x === undefined) return "–";
    if (x === 0) return "0";
    const a = Math.abs(x);
    return a >= 1e4 || a < 1e-3 ? x.toExponential(3) : String(Number(x.toPrecision(4)));
  }

  // a number in [-1, 1] as a colour: white at 0, blue for positive, orange for negative
  function diverging(t) {
    const c = t >= 0 ? POS : NEG, s = Math.min(1, Math.abs(t));
    return [255 + (c[0] - 255) * s, 255 + (c[1] - 255) * s, 255 + (c[2] - 255) * s];
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  // an image (size × size bytes) as a canvas, coloured by colourOf(byte index) -> [r, g, b, a]
  function tile(size, colourOf) {
    const c = document.createElement("canvas");
    c.width = c.height = size;
    const ctx = c.getContext("2d"), img = ctx.createImageData(size, size);
    for (let i = 0; i < size * size; i++) {
      const [r, g, b, a] = colourOf(i);
      img.data[4 * i] = r; img.data[4 * i + 1] = g; img.data[4 * i + 2] = b; img.data[4 * i + 3] = a;
    }
    ctx.putImageData(img, 0, 0);
    return c;
  }

  function boundaryTile(boundary) {
    const n = boundary.size;
    if (boundary.kind === "binary") {
      const v = bytes(boundary.values), c0 = rgb(CLASS[0]), c1 = rgb(CLASS[1]);
      return tile(n, i => {
        const p = v[i] / 255, c = p >= 0.5 ? c1 : c0, s = Math.min(1, Math.abs(p - 0.5) * 2) * 0.75;
        return [255 + (c[0] - 255) * s, 255 + (c[1] - 255) * s, 255 + (c[2] - 255) * s, 255];
      });
    }
    const k = bytes(boundary.classes), conf = bytes(boundary.confidence);
    return tile(n, i => {
      const c = rgb(CLASS[k[i] % CLASS.length]), s = 0.15 + 0.6 * conf[i] / 255;
      return [255 + (c[0] - 255) * s, 255 + (c[1] - 255) * s, 255 + (c[2] - 255) * s, 255];
    });
  }

  // the plane: x₁ to the right, x₂ up, over extent [x₁ min, x₁ max, x₂ min, x₂ max]
  function toPixel(canvas, extent, x1, x2) {
    return [(x1 - extent[0]) / (extent[1] - extent[0]) * canvas.width,
            (extent[3] - x2) / (extent[3] - extent[2]) * canvas.height];
  }

  function toPlane(canvas, extent, px, py) {
    return [extent[0] + px / canvas.width * (extent[1] - extent[0]),
            extent[3] - py / canvas.height * (extent[3] - extent[2])];
  }

  function plane(canvas, boundary, points, sample) {
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, ext = points.extent;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(boundaryTile(boundary), 0, 0, w, h);
    ctx.strokeStyle = "rgba(0,0,0,0.12)";
    ctx.lineWidth = 1;
    for (let t = Math.ceil(ext[0]); t <= ext[1]; t++) {
      const [x] = toPixel(canvas, ext, t, 0);
      ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke();
    }
    for (let t = Math.ceil(ext[2]); t <= ext[3]; t++) {
      const [, y] = toPixel(canvas, ext, 0, t);
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
    }
    points.X.forEach((p, i) => {
      const [x, y] = toPixel(canvas, ext, p[0], p[1]);
      ctx.beginPath(); ctx.arc(x, y, 4.5, 0, 2 * Math.PI);
      ctx.fillStyle = CLASS[points.y[i] % CLASS.length]; ctx.fill();
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.2; ctx.stroke();
    });
    if (sample !== null && sample !== undefined && sample < points.X.length) {
      const p = points.X[sample], [x, y] = toPixel(canvas, ext, p[0], p[1]);
      ctx.beginPath(); ctx.arc(x, y, 9, 0, 2 * Math.PI);
      ctx.strokeStyle = "#111"; ctx.lineWidth = 2; ctx.stroke();
    }
  }

  // Where parameter wˡⱼₖ / bˡⱼ sits in the model's parameter list (layer by layer, neuron by neuron: its weights,
  // then its bias). l from 1, j and k from 0.
  function offsets(sizes) {
    const out = [0];
    for (let l = 1; l < sizes.length; l++) out.push(out[l - 1] + (sizes[l - 1] + 1) * sizes[l]);
    return out;
  }

  // The network diagram: built once per network shape, its lines and tiles updated at every frame.
  class Network {
    constructor(svg, sizes, names, onPick) {
      this.svg = svg; this.sizes = sizes; this.names = names; this.onPick = onPick;
      this.offsets = offsets(sizes);
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      const W = 560, H = 470, L = sizes.length, most = Math.max(...sizes);
      const gap = Math.min(44, (H - 20) / most);
      this.tileSize = Math.max(10, Math.min(30, gap - 6));
      const t = this.tileSize, xs = sizes.map((_, l) => 20 + l * (W - 84 - t) / (L - 1));
      this.pos = sizes.map((n, l) => Array.from({length: n}, (_, j) => [xs[l], 10 + (H - 20) / 2 + (j - (n - 1) / 2) * gap - t / 2]));
      const edges = el("g", {class: "edges"}, svg), hits = el("g", {class: "hits"}, svg);
      this.lines = []; this.titles = [];
      for (let l = 1; l < L; l++) {
        for (let j = 0; j < sizes[l]; j++) {
          for (let k = 0; k < sizes[l - 1]; k++) {
            const [x0, y0] = this.pos[l - 1][k], [x1, y1] = this.pos[l][j];
            const at = {x1: x0 + t, y1: y0 + t / 2, x2: x1, y2: y1 + t / 2};
            const index = this.offsets[l - 1] + j * (sizes[l - 1] + 1) + k;
            this.lines[index] = el("line", {...at, class: "w", "data-index": index}, edges);
            const hit = el("line", {...at, class: "hit", "data-index": index}, hits);
            this.titles[index] = el("title", {}, hit);
            this.titles[index].textContent = names[index];
          }
        }
      }
      this.tiles = []; this.texts = []; this.boxes = [];
      const nodes = el("g", {class: "nodes"}, svg);
      for (let l = 0; l < L; l++) {
        this.tiles.push([]); this.texts.push([]); this.boxes.push([]);
        for (let j = 0; j < sizes[l]; j++) {
          const [x, y] = this.pos[l][j];
          const g = el("g", {class: l ? "neuron" : "input"}, nodes);
          const img = el("image", {x, y, width: t, height: t, preserveAspectRatio: "none"}, g);
          const box = el("rect", {x, y, width: t, height: t, class: "box"}, g);
          const label = el("text", {x: x + t / 2, y: y - 2, class: "name"}, g);
          label.textContent = l ? names[this.offsets[l - 1] + j * (sizes[l - 1] + 1) + sizes[l - 1]].replace(/^b/, "") : "x" + "₁₂"[j];
          const text = el("text", {x: x + t + 2, y: y + t - 1, class: "value"}, g);
          if (l) {
            const index = this.offsets[l - 1] + j * (sizes[l - 1] + 1) + sizes[l - 1];
            box.setAttribute("data-index", index);
            this.titles[index] = el("title", {}, box);
            this.titles[index].textContent = names[index];
          }
          this.tiles[l].push(img); this.texts[l].push(text); this.boxes[l].push(box);
        }
      }
      svg.onclick = e => {
        const i = e.target.getAttribute && e.target.getAttribute("data-index");
        if (i !== null && i !== undefined && this.onPick) this.onPick(Number(i));
      };
      // the inputs' own tiles: x₁ grows to the right, x₂ upwards
      const n = 16;
      this.setTile(0, 0, tile(n, i => [...diverging((i % n) / (n - 1) * 2 - 1), 255]));
      this.setTile(0, 1, tile(n, i => [...diverging(1 - Math.floor(i / n) / (n - 1) * 2), 255]));
    }

    setTile(l, j, canvas) {
      this.tiles[l][j].setAttribute("href", canvas.toDataURL());
    }

    // line width and colour by each weight's value (or by any numbers of the same layout, such as ∂C/∂w)
    update(values) {
      let top = 0;
      this.lines.forEach((line, i) => { if (line) top = Math.max(top, Math.abs(values[i])); });
      top = top || 1;
      this.lines.forEach((line, i) => {
        if (!line) return;
        const v = values[i], s = Math.abs(v) / top;
        line.setAttribute("stroke", v >= 0 ? "rgb(" + POS + ")" : "rgb(" + NEG + ")");
        line.setAttribute("stroke-width", (0.3 + 4.7 * s).toFixed(2));
        line.setAttribute("stroke-opacity", (0.25 + 0.75 * s).toFixed(2));
      });
      for (let l = 1; l < this.sizes.length; l++) {  // a bias as the border of its neuron
        this.boxes[l].forEach((box, j) => {
          const v = values[this.offsets[l - 1] + j * (this.sizes[l - 1] + 1) + this.sizes[l - 1]];
          box.setAttribute("stroke", v >= 0 ? "rgb(" + POS + ")" : "rgb(" + NEG + ")");
          box.setAttribute("stroke-width", (0.8 + 2.5 * Math.min(1, Math.abs(v) / top)).toFixed(2));
        });
      }
      this.top = top;
      return top;
    }

    // each line's and neuron's tooltip: its parameter's name and value, and ∂C/∂ of it when given
    describe(weights, grads) {
      this.titles.forEach((t, i) => {
        if (!t) return;
        const n = this.names[i];
        t.textContent = n + " = " + fmt(weights[i]) + (grads ? ",  ∂C/∂" + n + " = " + fmt(grads[i]) : "");
      });
    }

    heat(layers, size) {
      layers.forEach((neurons, l) => neurons.forEach((b64, j) => {
        const v = bytes(b64);
        this.setTile(l + 1, j, tile(size, i => [...diverging(v[i] / 127.5 - 1), 255]));
      }));
    }

    // a line of text beside each neuron (e.g. its a in the forward phase, its δ in the backward one); layers
    // beyond `upTo` stay empty, for values that flow one layer at a time
    label(perLayer, upTo, fromRight) {
      const L = this.sizes.length;
      for (let l = 0; l < L; l++) {
        const shown = perLayer && perLayer[l] && (fromRight ? l >= upTo : l <= upTo);
        this.texts[l].forEach((t, j) => { t.textContent = shown ? perLayer[l][j] : ""; });
      }
    }

    select(index) {
      this.svg.querySelectorAll(".selected").forEach(e => e.classList.remove("selected"));
      if (index === null || index === undefined) return;
      if (this.lines[index]) this.lines[index].classList.add("selected");
      this.svg.querySelectorAll('rect[data-index="' + index + '"]').forEach(e => e.classList.add("selected"));
    }
  }

  function key(div, top, what) {
    const widths = [1, 0.5, 0.1];
    div.innerHTML = "";
    const svg = el("svg", {width: "100%", viewBox: "0 0 500 22", style: "max-width: 500px"}, div);
    let x = 4;
    const text = (s, at) => { const e = el("text", {x: at, y: 15, class: "key"}, svg); e.textContent = s; };
    text(what + ":", x); x += what.length * 6.5 + 10;
    for (const [c, sign] of [[POS, 1], [NEG, -1]]) {
      for (const s of widths) {
        el("line", {x1: x, y1: 11, x2: x + 22, y2: 11, stroke: "rgb(" + c + ")", "stroke-width": 0.3 + 4.7 * s,
                    "stroke-opacity": 0.25 + 0.75 * s}, svg);
        text(fmt(sign * s * top), x + 25); x += 70;
      }
    }
  }

  function axes(ctx, w, h) {
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(36, 6); ctx.lineTo(36, h - 18); ctx.lineTo(w - 30, h - 18); ctx.stroke();
    ctx.fillStyle = "#555"; ctx.font = "11px sans-serif";
  }

  function series(ctx, values, lo, hi, w, h, colour, count) {
    if (!values.length) return;
    ctx.strokeStyle = colour; ctx.lineWidth = 1.5; ctx.beginPath();
    const n = Math.max(count, 2) - 1;
    values.forEach((v, i) => {
      const x = 36 + (w - 66) * i / n, y = h - 18 - (h - 24) * (v - lo) / ((hi - lo) || 1);
      if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
    ctx.stroke();
  }

  // the loss (left axis, from 0) and the accuracy (right axis, 0 to 1) per step; `at` marks one step
  function curves(canvas, losses, accs, at) {
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
    axes(ctx, w, h);
    const top = Math.max(1e-12, ...losses.filter(Number.isFinite));
    series(ctx, losses, 0, top, w, h, "rgb(" + POS + ")", losses.length);
    series(ctx, accs, 0, 1, w, h, "rgb(" + NEG + ")", losses.length);
    ctx.fillStyle = "rgb(" + POS + ")"; ctx.fillText("loss " + fmt(top), 2, 12); ctx.fillText("0", 24, h - 18);
    ctx.fillStyle = "rgb(" + NEG + ")"; ctx.fillText("acc 1", w - 28, 12);
    ctx.fillStyle = "#555"; ctx.fillText("step " + losses.length, w - 90, h - 4);
    if (at !== undefined && losses.length) {
      const x = 36 + (w - 66) * at / Math.max(losses.length - 1, 1);
      ctx.strokeStyle = "#111"; ctx.beginPath(); ctx.moveTo(x, 6); ctx.lineTo(x, h - 18); ctx.stroke();
    }
  }

  const LAYER = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"];

  // per layer, log₁₀ of its gradient size per step
  function gradients(canvas, history) {
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
    axes(ctx, w, h);
    if (!history.length) return;
    const L = history[0].length, logs = history.map(r => r.map(v => Math.log10(Math.max(v, 1e-12))));
    let lo = Infinity, hi = -Infinity;
    logs.forEach(r => r.forEach(v => { lo = Math.min(lo, v); hi = Math.max(hi, v); }));
    lo = Math.floor(lo); hi = Math.max(Math.ceil(hi), lo + 1);
    for (let l = 0; l < L; l++) series(ctx, logs.map(r => r[l]), lo, hi, w, h, LAYER[l % LAYER.length], logs.length);
    ctx.fillStyle = "#555"; ctx.fillText("1e" + hi, 2, 12); ctx.fillText("1e" + lo, 2, h - 20);
    const last = history[history.length - 1];
    for (let l = 0; l < L; l++) {
      ctx.fillStyle = LAYER[l % LAYER.length];
      ctx.fillText("layer " + (l + 1) + ": " + fmt(last[l]), 44 + l * 92, h - 4);
    }
  }

  // a name such as w³₁₂, δ²₁ or C as MathML (letters, then superscript digits, then subscript digits)
  const SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹", SUB = "₀₁₂₃₄₅₆₇₈₉";
  function mathName(name) {
    const m = /^([A-Za-zδσ]+)([⁰¹²³⁴⁵⁶⁷⁸⁹]*)([₀₁₂₃₄₅₆₇₈₉,]*)$/.exec(name);
    const esc = s => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
    if (!m) return "<mi>" + esc(name) + "</mi>";
    const base = "<mi>" + m[1] + "</mi>";
    const sup = [...m[2]].map(c => SUP.indexOf(c)).join("");
    const sub = [...m[3]].map(c => c === "," ? "," : SUB.indexOf(c)).join("");
    if (sup && sub) return "<msubsup>" + base + "<mn>" + sub + "</mn><mn>" + sup + "</mn></msubsup>";
    if (sub) return "<msub>" + base + "<mn>" + sub + "</mn></msub>";
    if (sup) return "<msup>" + base + "<mn>" + sup + "</mn></msup>";
    return base;
  }

  function partial(top, bottom) {
    return "<mfrac><mrow><mo>∂</mo>" + mathName(top) + "</mrow><mrow><mo>∂</mo>" + mathName(bottom) +
      "</mrow></mfrac>";
  }

  function num(v) { return "<mo>(</mo><mn>" + fmt(v) + "</mn><mo>)</mo>"; }

  // explain(C, w)'s paths as maths: one line per path written out, then the total
  function chainMath(ex) {
    if (ex.n_paths === 0) {
      const why = ex.blocked.length ? "a zero gradient (at " + ex.blocked.slice(0, 3).join(", ") + ") passes nothing on"
                                    : ex.root + " does not depend on " + ex.w;
      return '<math display="block">' + partial(ex.root, ex.w) + "<mo>=</mo><mn>0</mn><mspace width=\"1em\"/>" +
        "<mtext>(" + why + ")</mtext></math>";
    }
    const lines = ex.paths.map((path, i) => {
      const syms = path.map(([c, p]) => partial(c, p)).join("<mo>·</mo>");
      const nums = path.map(f => num(f[2])).join("");
      const prod = path.reduce((a, f) => a * f[2], 1);
      const head = ex.n_paths > 1 ? "<mtext>path " + (i + 1) + ":</mtext><mspace width=\"0.6em\"/>" : partial(ex.root, ex.w) + "<mo>=</mo>";
      return '<math display="block">' + head + syms + "<mo>=</mo>" + nums + "<mo>=</mo><mn>" + fmt(prod) +
        "</mn></math>";
    });
    if (ex.n_paths !== 1) {
      const more = ex.n_paths > ex.paths.length ? "<mtext> (" + ex.n_paths + " paths)</mtext>" : "";
      lines.push('<math display="block">' + partial(ex.root, ex.w) + "<mo>=</mo><munder><mo>∑</mo><mtext>paths" +
        "</mtext></munder><mo>∏</mo><mtext>local derivatives</mtext>" + more + "<mo>=</mo><mn>" + fmt(ex.total) +
        "</mn></math>");
    }
    return lines.join("\n");
  }

  return {CLASS, bytes, fmt, plane, toPixel, toPlane, Network, key, curves, gradients, chainMath, mathName};
})();

// embviz VAE decoder: decodes latent codes in the browser with a VAE decoder whose weights travel
// in the output (float16, base64), so that the latent explorer and the live manifold need no
// kernel. Defines globalThis.embvizVAE (guarded: evaluating this file twice is harmless).
// Layers (models.DecoderLayer): dense, reshape, upsample2, conv (same-padded, stride 1), relu,
// sigmoid; activations are HWC, row-major, for one latent vector.
(function () {
  "use strict";
  var G = typeof globalThis !== "undefined" ? globalThis : window;
  if (G.embvizVAE) return;

  // f16 decodes base64 little-endian IEEE float16 values into a Float32Array.
  function f16(b64) {
    var bin = typeof atob === "function" ? atob(b64) : Buffer.from(b64, "base64").toString("binary");
    var n = bin.length >> 1, out = new Float32Array(n);
    for (var i = 0; i < n; i++) {
      var h = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
      var s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
      out[i] = e === 0 ? s * m * 5.960464477539063e-8 : e === 31 ? (m ? NaN : s * Infinity) : s * (1024 + m) * Math.pow(2, e - 25);
    }
    return out;
  }

  // f32 decodes base64 little-endian float32 values.
  function f32(b64) {
    var bin = typeof atob === "function" ? atob(b64) : Buffer.from(b64, "base64").toString("binary");
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer, 0, bin.length >> 2);
  }

  // load turns a model spec {latent, shape, layers: [{op, shape, w, b, w32, b32}]} (w, b: base64
  // float16; w32, b32: base64 float32)
  // into a decoder with decode(z) -> Float32Array of shape[0]*shape[1]*shape[2] values.
  function load(spec) {
    var layers = spec.layers.map(function (l) {
      return { op: l.op, shape: l.shape || null, w: l.w ? f16(l.w) : l.w32 ? f32(l.w32) : null, b: l.b ? f16(l.b) : l.b32 ? f32(l.b32) : null };
    });
    function decode(z) {
      var x = Float64Array.from(z), shape = [x.length];
      for (var li = 0; li < layers.length; li++) {
        var l = layers[li], i, j, o, y;
        switch (l.op) {
          case "dense": {
            var nin = l.shape[0], nout = l.shape[1], w = l.w;
            y = Float64Array.from(l.b);
            for (i = 0; i < nin; i++) {
              var xi = x[i];
              if (xi === 0) continue;
              var row = i * nout;
              for (o = 0; o < nout; o++) y[o] += xi * w[row + o];
            }
            x = y; shape = [nout];
            break;
          }
          case "reshape":
            shape = l.shape.slice();
            break;
          case "upsample2": {
            var h = shape[0], wd = shape[1], c = shape[2];
            y = new Float64Array(4 * h * wd * c);
            for (i = 0; i < 2 * h; i++) for (j = 0; j < 2 * wd; j++) {
              var src = ((i >> 1) * wd + (j >> 1)) * c, dst = (i * 2 * wd + j) * c;
              for (o = 0; o < c; o++) y[dst + o] = x[src + o];
            }
            x = y; shape = [2 * h, 2 * wd, c];
            break;
          }
          case "conv": {
            var k = l.shape[0], cin = l.shape[2], cout = l.shape[3], H = shape[0], W = shape[1], lo = (k - 1) >> 1, kw = l.w, b = l.b;
            y = new Float64Array(H * W * cout);
            if (cout === 1) { // one output channel: a dot product over (tap, cin) per pixel
              for (i = 0; i < H; i++) for (j = 0; j < W; j++) {
                var acc = b[0];
                for (var di1 = 0; di1 < k; di1++) {
                  var i1 = i + di1 - lo;
                  if (i1 < 0 || i1 >= H) continue;
                  for (var dj1 = 0; dj1 < k; dj1++) {
                    var j1 = j + dj1 - lo;
                    if (j1 < 0 || j1 >= W) continue;
                    var xo = (i1 * W + j1) * cin, wo = (di1 * k + dj1) * cin;
                    for (var c1 = 0; c1 < cin; c1++) acc += x[xo + c1] * kw[wo + c1];
                  }
                }
                y[i * W + j] = acc;
              }
              x = y; shape = [H, W, 1];
              break;
            }
            for (i = 0; i < H; i++) for (j = 0; j < W; j++) {
              var base = (i * W + j) * cout;
              for (o = 0; o < cout; o++) y[base + o] = b[o];
              for (var di = 0; di < k; di++) {
                var ii = i + di - lo;
                if (ii < 0 || ii >= H) continue;
                for (var dj = 0; dj < k; dj++) {
                  var jj = j + dj - lo;
                  if (jj < 0 || jj >= W) continue;
                  var xin = (ii * W + jj) * cin, wk = (di * k + dj) * cin * cout;
                  for (var ci = 0; ci < cin; ci++) {
                    var v = x[xin + ci];
                    if (v === 0) continue;
                    var wr = wk + ci * cout;
                    for (o = 0; o < cout; o++) y[base + o] += v * kw[wr + o];
                  }
                }
              }
            }
            x = y; shape = [H, W, cout];
            break;
          }
          case "relu":
            for (i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0;
            break;
          case "sigmoid":
            for (i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
            break;
          default:
            throw new Error("embvizVAE: unknown layer " + l.op);
        }
      }
      return Float32Array.from(x);
    }
    return { latent: spec.latent, shape: spec.shape, decode: decode };
  }

  // draw paints pixels (HWC in [0, 1], 1 or 3 channels) into canvas ctx at (x0, y0).
  function draw(ctx, pix, shape, x0, y0) {
    var h = shape[0], w = shape[1], c = shape[2], im = ctx.createImageData(w, h);
    for (var p = 0; p < h * w; p++) {
      for (var k = 0; k < 3; k++) {
        var v = pix[p * c + (c === 3 ? k : 0)];
        im.data[4 * p + k] = v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0;
      }
      im.data[4 * p + 3] = 255;
    }
    ctx.putImageData(im, x0, y0);
  }

  function el(tag, style, text) {
    var e = document.createElement(tag);
    if (style) e.style.cssText = style;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmt(v) { return (v >= 0 ? "+" : "") + v.toFixed(2); }

  // slider returns a labeled range input over [-extent, extent] calling onInput(value).
  function slider(parent, label, value, extent, step, onInput) {
    var row = el("label", "display:flex;align-items:center;gap:6px;font:12px monospace");
    var name = el("span", "min-width:3em", label), out = el("span", "min-width:4em;text-align:right", fmt(value));
    var r = el("input", "width:180px");
    r.type = "range"; r.min = -extent; r.max = extent; r.step = step; r.value = value;
    r.addEventListener("input", function () { out.textContent = fmt(+r.value); onInput(+r.value); });
    row.appendChild(name); row.appendChild(r); row.appendChild(out);
    parent.appendChild(row);
    return r;
  }

  // schedule runs f at most once per animation frame.
  function scheduler(f) {
    var pending = false;
    return function () {
      if (pending) return;
      pending = true;
      (G.requestAnimationFrame || setTimeout)(function () { pending = false; f(); });
    };
  }

  // mountSliders: one slider per latent dimension (spec.dims) and the image decoded from them.
  function mountSliders(root, spec, dec) {
    var z = spec.base.slice(), shape = dec.shape, scale = spec.scale || 6;
    var box = el("div", "display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap");
    var left = el("div", "display:flex;flex-direction:column;gap:2px");
    var cv = el("canvas", "image-rendering:pixelated;width:" + shape[1] * scale + "px;height:" + shape[0] * scale + "px;border:1px solid #ddd");
    cv.width = shape[1]; cv.height = shape[0];
    var ctx = cv.getContext("2d");
    var cap = el("div", "font:11px monospace;color:#555;max-width:" + Math.max(168, shape[1] * scale) + "px");
    var render = scheduler(function () {
      draw(ctx, dec.decode(z), shape, 0, 0);
      cap.textContent = "z = [" + z.map(function (v) { return v.toFixed(2); }).join(", ") + "]";
    });
    var inputs = [];
    spec.dims.forEach(function (d) {
      inputs.push([d, slider(left, spec.dimNames[d], z[d], spec.extent, spec.step, function (v) { z[d] = v; render(); })]);
    });
    var reset = el("button", "align-self:flex-start;margin-top:4px;font:12px sans-serif", "reset");
    reset.addEventListener("click", function () {
      z = spec.base.slice();
      inputs.forEach(function (p) { p[1].value = z[p[0]]; p[1].dispatchEvent(new Event("input")); });
      render();
    });
    left.appendChild(reset);
    var right = el("div");
    right.appendChild(cv); right.appendChild(cap);
    box.appendChild(left); box.appendChild(right);
    root.appendChild(box);
    render();
  }

  // mountManifold: the steps x steps grid over dims [dx, dy] in [-extent, extent]², re-decoded
  // in the browser when a slider of another dimension (the base) moves.
  function mountManifold(root, spec, dec) {
    var z = spec.base.slice(), shape = dec.shape, n = spec.steps, dx = spec.dims[0], dy = spec.dims[1];
    var h = shape[0], w = shape[1], scale = spec.scale || 1;
    var box = el("div", "display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap");
    var cv = el("canvas", "image-rendering:pixelated;width:" + n * w * scale + "px;height:" + n * h * scale + "px;border:1px solid #ddd");
    cv.width = n * w; cv.height = n * h;
    var ctx = cv.getContext("2d");
    var left = el("div", "display:flex;flex-direction:column;gap:2px");
    left.appendChild(el("div", "font:12px sans-serif;color:#555", spec.dimNames[dx] + " → (columns), " + spec.dimNames[dy] + " ↑ (rows), over ±" + spec.extent + "; the other dimensions:"));
    // The grid is decoded a row at a time, yielding between rows so that the page stays
    // responsive; a slider move restarts it from the top.
    var gen = 0;
    var render = scheduler(function () {
      var my = ++gen, q = z.slice(), r = 0;
      (function row() {
        if (my !== gen) return;
        for (var c = 0; c < n; c++) {
          q[dx] = -spec.extent + 2 * spec.extent * c / (n - 1);
          q[dy] = spec.extent - 2 * spec.extent * r / (n - 1);
          draw(ctx, dec.decode(q), shape, c * w, r * h);
        }
        if (++r < n) setTimeout(row, 0);
      })();
    });
    for (var d = 0; d < z.length; d++) {
      if (d === dx || d === dy) continue;
      (function (d) { slider(left, spec.dimNames[d], z[d], spec.sliderExtent, spec.step, function (v) { z[d] = v; render(); }); })(d);
    }
    box.appendChild(cv); box.appendChild(left);
    root.appendChild(box);
    render();
  }

  // mountRoot mounts the view of the fragment root (its JSON in #<id>-data): it hides the
  // static poster and builds the live view.
  function mountRoot(root) {
    if (!root || root.dataset.mounted) return;
    var data = (root.parentNode && root.parentNode.querySelector("#" + root.id + "-data")) || document.getElementById(root.id + "-data");
    if (!data) return;
    root.dataset.mounted = "1";
    try {
      var spec = JSON.parse(data.textContent), dec = load(spec.model);
      var live = el("div");
      if (spec.title) live.appendChild(el("div", "font:600 13px sans-serif;margin:4px 0", spec.title));
      if (spec.kind === "manifold") mountManifold(live, spec, dec); else mountSliders(live, spec, dec);
      var poster = root.querySelector(".evz-vae-poster");
      if (poster) poster.style.display = "none";
      root.appendChild(live);
    } catch (e) {
      root.appendChild(el("div", "color:#a00;font:12px monospace", "embviz VAE decoder: " + e));
    }
  }

  G.embvizVAE = { f16: f16, load: load, mountRoot: mountRoot };
})();

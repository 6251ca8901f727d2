/* embviz inline visualization library: line charts, heatmaps, scatter matrices and the synced
 * animation player. Self-contained (no network); embedded in every fragment by vizlib (Go). */
(function () {
  "use strict";
  var VERSION = "4";
  if (window.embviz && window.embviz.version === VERSION) return;

  var SVGNS = "http://www.w3.org/2000/svg";
  var TAB = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"];

  function color(i) {
    if (i < TAB.length) return TAB[i];
    var h = (i * 137.508) % 360;
    return "hsl(" + h.toFixed(1) + ",65%,45%)";
  }
  function rgbOf(css) {
    if (css.charAt(0) === "#") {
      return [parseInt(css.substr(1, 2), 16), parseInt(css.substr(3, 2), 16), parseInt(css.substr(5, 2), 16)];
    }
    var m = /hsl\(([\d.]+),(\d+)%,(\d+)%\)/.exec(css);
    var h = +m[1] / 360, s = +m[2] / 100, l = +m[3] / 100;
    var q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
    function f(t) { if (t < 0) t += 1; if (t > 1) t -= 1; if (t < 1 / 6) return p + (q - p) * 6 * t; if (t < 1 / 2) return q; if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6; return p; }
    return [Math.round(f(h + 1 / 3) * 255), Math.round(f(h) * 255), Math.round(f(h - 1 / 3) * 255)];
  }
  function el(tag, attrs, parent) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k === "style") e.style.cssText = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    if (parent) parent.appendChild(e);
    return e;
  }
  function sv(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    if (parent) parent.appendChild(e);
    return e;
  }
  function b64(s) {
    var bin = atob(s), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  // ints reads count little-endian words of `bytes` (1 or 2) bytes from u (a Uint8Array, or
  // base64 text).
  function ints(s, bytes, count) {
    var u = typeof s === "string" ? b64(s) : s, out = new Int32Array(count);
    if (u.length !== count * bytes) throw new Error("integer payload has " + u.length + " bytes, want " + count * bytes);
    if (bytes === 2) { for (var i = 0; i < count; i++) out[i] = u[2 * i] | (u[2 * i + 1] << 8); }
    else { for (var j = 0; j < count; j++) out[j] = u[j]; }
    return out;
  }
  // inflate decodes raw DEFLATE data (RFC 1951, as Go's compress/flate writes it: stored, fixed
  // and dynamic Huffman blocks) from the Uint8Array u. The player's binary fields travel
  // DEFLATEd (vizlib/compact.go); canonical Huffman codes are decoded bit by bit, as zlib's puff.
  var LBASE = [], LEXT = [], DBASE = [], DEXT = [], ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15], FIXED = null;
  (function () {
    for (var i = 0, b = 3, e; i < 28; i++) { e = i < 8 ? 0 : (i >> 2) - 1; LBASE.push(b); LEXT.push(e); b += 1 << e; }
    LBASE.push(258); LEXT.push(0);
    for (i = 0, b = 1; i < 30; i++) { e = i < 4 ? 0 : (i >> 1) - 1; DBASE.push(b); DEXT.push(e); b += 1 << e; }
  })();
  function huffman(lens) { // counts per code length and the symbols in code order
    var cnt = new Uint16Array(16), offs = new Uint16Array(16), sym = new Uint16Array(lens.length), i;
    for (i = 0; i < lens.length; i++) cnt[lens[i]]++;
    cnt[0] = 0;
    for (i = 1; i < 16; i++) offs[i] = offs[i - 1] + cnt[i - 1];
    for (i = 0; i < lens.length; i++) if (lens[i]) sym[offs[lens[i]]++] = i;
    return { cnt: cnt, sym: sym };
  }
  function inflate(u) {
    var out = new Uint8Array(u.length * 4 + 1024), op = 0, pos = 0, bb = 0, bn = 0, len = u.length;
    function bad(what) { throw new Error("inflate: " + what + " at byte " + pos); }
    function bits(n) {
      while (bn < n) { if (pos >= len) bad("truncated data"); bb |= u[pos++] << bn; bn += 8; }
      var v = bb & ((1 << n) - 1); bb >>>= n; bn -= n; return v;
    }
    function room(k) { if (op + k > out.length) { var o = new Uint8Array(Math.max(2 * out.length, op + k)); o.set(out.subarray(0, op)); out = o; } }
    function decode(h) {
      for (var l = 1, code = 0, first = 0, index = 0, c; l < 16; l++) {
        if (!bn) { if (pos >= len) bad("truncated data"); bb = u[pos++]; bn = 8; }
        code |= bb & 1; bb >>>= 1; bn--;
        c = h.cnt[l];
        if (code - c < first) return h.sym[index + code - first];
        index += c; first = (first + c) << 1; code <<= 1;
      }
      bad("invalid Huffman code");
    }
    if (!FIXED) {
      var fl = new Uint8Array(288), fd = new Uint8Array(30);
      for (var i = 0; i < 288; i++) fl[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
      fd.fill(5);
      FIXED = [huffman(fl), huffman(fd)];
    }
    for (var last = 0; !last;) {
      last = bits(1);
      var type = bits(2), lt, dt;
      if (type === 0) { // stored: from the next byte boundary, LEN, ~LEN, LEN bytes
        bb = 0; bn = 0;
        if (pos + 4 > len) bad("truncated stored block");
        var n = u[pos] | (u[pos + 1] << 8);
        if ((n ^ (u[pos + 2] | (u[pos + 3] << 8))) !== 0xffff) bad("stored block length check");
        pos += 4;
        if (pos + n > len) bad("truncated stored block");
        room(n); out.set(u.subarray(pos, pos + n), op); op += n; pos += n;
        continue;
      }
      if (type === 1) { lt = FIXED[0]; dt = FIXED[1]; }
      else if (type === 2) {
        var nl = bits(5) + 257, nd = bits(5) + 1, nc = bits(4) + 4, cl = new Uint8Array(19), ll = new Uint8Array(nl + nd);
        for (i = 0; i < nc; i++) cl[ORDER[i]] = bits(3);
        var ch = huffman(cl);
        for (i = 0; i < nl + nd;) {
          var s = decode(ch), r, v = 0;
          if (s < 16) { ll[i++] = s; continue; }
          if (s === 16) { if (!i) bad("repeat with no previous length"); v = ll[i - 1]; r = 3 + bits(2); }
          else r = s === 17 ? 3 + bits(3) : 11 + bits(7);
          if (i + r > nl + nd) bad("too many code lengths");
          while (r--) ll[i++] = v;
        }
        lt = huffman(ll.subarray(0, nl)); dt = huffman(ll.subarray(nl));
      } else bad("invalid block type");
      for (;;) {
        var sy = decode(lt);
        if (sy < 256) { room(1); out[op++] = sy; continue; }
        if (sy === 256) break;
        sy -= 257;
        if (sy >= 29) bad("invalid length code");
        var ln = LBASE[sy] + bits(LEXT[sy]), ds = decode(dt);
        if (ds >= 30) bad("invalid distance code");
        var d = DBASE[ds] + bits(DEXT[ds]);
        if (d > op) bad("distance beyond the start");
        room(ln);
        for (var q = 0; q < ln; q++, op++) out[op] = out[op - d];
      }
    }
    return out.subarray(0, op);
  }
  // unz decodes one of the player's binary fields: base64 of DEFLATEd bytes.
  function unz(s) { return inflate(b64(s)); }
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
    if (a >= 100) return v.toFixed(1);
    if (a >= 1) return v.toFixed(3);
    return v.toFixed(4);
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    var span = hi - lo, step = Math.pow(10, Math.floor(Math.log10(span / n))), err = span / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var t = [], v = Math.ceil(lo / step - 1e-9) * step;
    for (; v <= hi + step * 1e-9; v += step) t.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return t;
  }
  function tickLabel(v) {
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(0);
    return +v.toPrecision(6) + "";
  }
  function errorBox(root, msg) {
    el("div", { cls: "evz-error", text: "embviz: " + msg }, root);
  }

  // ---------------------------------------------------------------- line chart (SVG)
  function Chart(root, spec) {
    var W = spec.width || 560, H = spec.height || 300;
    var m = { l: 58, r: 14, t: 10, b: spec.xlabel ? 40 : 26 };
    var box = el("div", { cls: "evz-chart", style: "width:" + W + "px" }, root);
    if (spec.title) el("div", { cls: "evz-title", text: spec.title }, box);
    var legend = el("div", { cls: "evz-legend" }, box);
    var opts = el("div", { cls: "evz-opts" }, box);
    var logy = !!spec.logy;
    if (spec.logToggle) {
      var lab = el("label", null, opts), cb = el("input", { type: "checkbox" }, lab);
      cb.checked = logy; lab.appendChild(document.createTextNode(" log y"));
      cb.addEventListener("change", function () { logy = cb.checked; draw(); });
    }
    var holder = el("div", { style: "position:relative" }, box);
    var tip = el("div", { cls: "evz-tip" }, holder);
    var series = (spec.series || []).map(function (s, i) {
      return { name: s.name, x: s.x, y: s.y, color: s.color || color(i), dash: s.dash, on: !s.hidden };
    });
    series.forEach(function (s) {
      var sp = el("span", { title: "click to show/hide" }, legend);
      var sw = el("i", { style: "background:" + s.color }, sp);
      el("b", { text: s.name, style: "font-weight:normal" }, sp);
      if (!s.on) sp.className = "off";
      sp.addEventListener("click", function () { s.on = !s.on; sp.className = s.on ? "" : "off"; draw(); });
      void sw;
    });
    var svg = sv("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H }, holder);
    var pw = W - m.l - m.r, ph = H - m.t - m.b;
    var state = null;

    function ok(v) { return v !== null && v !== undefined && isFinite(v) && (!logy || v > 0); }
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
      series.forEach(function (s) {
        if (!s.on) return;
        for (var i = 0; i < s.x.length; i++) {
          if (!ok(s.y[i]) || s.x[i] === null) continue;
          xmin = Math.min(xmin, s.x[i]); xmax = Math.max(xmax, s.x[i]);
          ymin = Math.min(ymin, s.y[i]); ymax = Math.max(ymax, s.y[i]);
        }
      });
      (spec.vlines || []).forEach(function (v) { xmin = Math.min(xmin, v.x); xmax = Math.max(xmax, v.x); });
      if (!isFinite(xmin)) { xmin = 0; xmax = 1; }
      if (!isFinite(ymin)) { ymin = logy ? 1 : 0; ymax = logy ? 10 : 1; }
      if (spec.ymin !== null && spec.ymin !== undefined && (!logy || spec.ymin > 0)) ymin = spec.ymin;
      if (spec.ymax !== null && spec.ymax !== undefined) ymax = spec.ymax;
      if (xmax === xmin) { xmax = xmin + 1; }
      if (ymax <= ymin) { ymax = logy ? ymin * 10 : ymin + 1; }
      var ty = logy ? function (v) { return Math.log10(v); } : function (v) { return v; };
      var ylo = ty(ymin), yhi = ty(ymax);
      if (!logy && spec.ymin == null && spec.ymax == null) { var padY = (yhi - ylo) * 0.04; ylo -= padY; yhi += padY; }
      function X(v) { return m.l + (v - xmin) / (xmax - xmin) * pw; }
      function Y(v) { return m.t + (1 - (ty(v) - ylo) / (yhi - ylo)) * ph; }
      var clip = "evzclip" + Math.random().toString(36).slice(2);
      var defs = sv("defs", null, svg), cp = sv("clipPath", { id: clip }, defs);
      sv("rect", { x: m.l, y: m.t, width: pw, height: ph }, cp);
      var ax = sv("g", { "class": "evz-axis" }, svg);
      // y ticks
      var yt;
      if (logy) {
        yt = [];
        for (var e = Math.floor(ylo); e <= Math.ceil(yhi); e++) {
          [1, 2, 5].forEach(function (k) { var v = k * Math.pow(10, e); if (Math.log10(v) >= ylo - 1e-9 && Math.log10(v) <= yhi + 1e-9 && (yhi - ylo < 3 || k === 1)) yt.push(v); });
        }
      } else yt = niceTicks(ylo, yhi, 5);
      yt.forEach(function (v) {
        var y = Y(v);
        sv("line", { x1: m.l, x2: m.l + pw, y1: y, y2: y, "class": "evz-gridline" }, ax);
        sv("text", { x: m.l - 4, y: y + 3, "text-anchor": "end", text: tickLabel(v) }, ax);
      });
      niceTicks(xmin, xmax, 6).forEach(function (v) {
        var x = X(v);
        sv("line", { x1: x, x2: x, y1: m.t + ph, y2: m.t + ph + 4 }, ax);
        sv("text", { x: x, y: m.t + ph + 15, "text-anchor": "middle", text: tickLabel(v) }, ax);
      });
      sv("rect", { x: m.l, y: m.t, width: pw, height: ph, fill: "none", stroke: "#888" }, ax);
      if (spec.xlabel) sv("text", { x: m.l + pw / 2, y: H - 6, "text-anchor": "middle", text: spec.xlabel }, ax);
      if (spec.ylabel) sv("text", { x: 12, y: m.t + ph / 2, "text-anchor": "middle", transform: "rotate(-90 12 " + (m.t + ph / 2) + ")", text: spec.ylabel }, ax);
      var g = sv("g", { "clip-path": "url(#" + clip + ")" }, svg);
      var rowEnds = [];  // labels that would overlap the previous ones drop to the next free row
      (spec.vlines || []).forEach(function (v) {
        var x = X(v.x);
        sv("line", { x1: x, x2: x, y1: m.t, y2: m.t + ph, stroke: v.color || "#999", "stroke-dasharray": "4 3" }, g);
        if (!v.label) return;
        var row = 0;
        while (row < rowEnds.length && rowEnds[row] > x + 2) row++;
        rowEnds[row] = x + 2 + 6.5 * v.label.length;
        sv("text", { x: x + 2, y: m.t + 10 + 12 * row, text: v.label, fill: "#666" }, g);
      });
      series.forEach(function (s) {
        if (!s.on) return;
        var d = "", pen = false, npts = 0;
        for (var i = 0; i < s.x.length; i++) {
          if (!ok(s.y[i])) { pen = false; continue; }
          d += (pen ? "L" : "M") + X(s.x[i]).toFixed(1) + " " + Y(s.y[i]).toFixed(1);
          pen = true; npts++;
        }
        if (d) sv("path", { d: d, fill: "none", stroke: s.color, "stroke-width": 1.6, "stroke-dasharray": s.dash ? "5 3" : "none" }, g);
        if (npts <= 60) for (var j = 0; j < s.x.length; j++) if (ok(s.y[j])) sv("circle", { cx: X(s.x[j]), cy: Y(s.y[j]), r: 2, fill: s.color }, g);
      });
      var cross = sv("line", { y1: m.t, y2: m.t + ph, stroke: "#444", "stroke-width": 0.7, visibility: "hidden" }, svg);
      var dots = sv("g", null, svg);
      var hit = sv("rect", { x: m.l, y: m.t, width: pw, height: ph, fill: "transparent" }, svg);
      state = { X: X, Y: Y, xmin: xmin, xmax: xmax };
      hit.addEventListener("mousemove", function (ev) {
        var r = svg.getBoundingClientRect(), mx = ev.clientX - r.left;
        var xv = xmin + (mx - m.l) / pw * (xmax - xmin), best = null, bd = Infinity;
        series.forEach(function (s) { if (s.on) for (var i = 0; i < s.x.length; i++) { var d = Math.abs(s.x[i] - xv); if (d < bd && ok(s.y[i])) { bd = d; best = s.x[i]; } } });
        if (best === null) return;
        while (dots.firstChild) dots.removeChild(dots.firstChild);
        cross.setAttribute("x1", X(best)); cross.setAttribute("x2", X(best)); cross.setAttribute("visibility", "visible");
        var html = "<b>" + (spec.xlabel || "x") + " = " + tickLabel(best) + "</b>";
        series.forEach(function (s) {
          if (!s.on) return;
          var bi = -1, bdd = Infinity;
          for (var i = 0; i < s.x.length; i++) { var d = Math.abs(s.x[i] - best); if (d < bdd && ok(s.y[i])) { bdd = d; bi = i; } }
          if (bi < 0 || bdd > (xmax - xmin) * 0.02 + 1e-12) return;
          sv("circle", { cx: X(s.x[bi]), cy: Y(s.y[bi]), r: 3.5, fill: s.color, stroke: "#fff" }, dots);
          html += "<br><span style='color:" + s.color + "'>■</span> " + escapeHTML(s.name) + ": " + fmt(s.y[bi]);
        });
        tip.innerHTML = html; tip.style.display = "block";
        var left = X(best) + 12; if (left > W - 150) left = X(best) - 160;
        tip.style.left = left + "px"; tip.style.top = (m.t + 6) + "px";
      });
      hit.addEventListener("mouseleave", function () { tip.style.display = "none"; cross.setAttribute("visibility", "hidden"); while (dots.firstChild) dots.removeChild(dots.firstChild); });
    }
    draw();
    return { redraw: draw, state: function () { return state; } };
  }
  function escapeHTML(s) { return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }

  // ---------------------------------------------------------------- heatmap (SVG)
  function seqColor(t) { // white -> dark blue
    t = Math.max(0, Math.min(1, t));
    var a = [247, 251, 255], b = [8, 48, 107];
    return "rgb(" + Math.round(a[0] + (b[0] - a[0]) * t) + "," + Math.round(a[1] + (b[1] - a[1]) * t) + "," + Math.round(a[2] + (b[2] - a[2]) * t) + ")";
  }
  function divColor(t) { // -1 blue, 0 white, 1 red
    t = Math.max(-1, Math.min(1, t));
    var c = t < 0 ? [33, 102, 172] : [178, 24, 43], k = Math.abs(t);
    return "rgb(" + Math.round(255 + (c[0] - 255) * k) + "," + Math.round(255 + (c[1] - 255) * k) + "," + Math.round(255 + (c[2] - 255) * k) + ")";
  }
  function Heatmap(root, spec) {
    var R = spec.rows.length, C = spec.cols.length, frames = spec.frames;
    var cell = spec.cell || Math.max(12, Math.min(44, Math.floor(440 / Math.max(R, C))));
    var maxRow = 0, maxCol = 0;
    spec.rows.forEach(function (s) { maxRow = Math.max(maxRow, String(s).length); });
    spec.cols.forEach(function (s) { maxCol = Math.max(maxCol, String(s).length); });
    var rot = maxCol * 6.5 > cell;
    var m = { l: Math.min(160, 14 + maxRow * 6.5) + (spec.ylabel ? 16 : 0), t: 6, b: (rot ? Math.min(120, maxCol * 5.5 + 12) : 20) + (spec.xlabel ? 16 : 0), r: 70 };
    var W = m.l + C * cell + m.r, H = m.t + R * cell + m.b;
    var box = el("div", { cls: "evz-chart" }, root);
    if (spec.title) el("div", { cls: "evz-title", text: spec.title }, box);
    var ctl = el("div", { cls: "evz-controls" }, box);
    var idx = frames.length - 1, norm = spec.normalize === "row";
    var slider = null, flabel = el("span", { cls: "evz-caption" });
    if (frames.length > 1) {
      slider = el("input", { type: "range", min: 0, max: frames.length - 1, step: 1, "aria-label": "Snapshot" }, ctl);
      slider.value = idx;
      slider.addEventListener("input", function () { idx = +slider.value; draw(); });
    }
    ctl.appendChild(flabel);
    if (spec.normToggle) {
      var lab = el("label", null, ctl), cb = el("input", { type: "checkbox" }, lab);
      cb.checked = norm; lab.appendChild(document.createTextNode(" normalized"));
      cb.addEventListener("change", function () { norm = cb.checked; draw(); });
    }
    var holder = el("div", { style: "position:relative" }, box);
    var tip = el("div", { cls: "evz-tip" }, holder);
    var svg = sv("svg", { width: W, height: H }, holder);
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var fr = frames[idx], v = fr.values.slice();
      flabel.textContent = fr.label || "";
      if (norm) for (var r = 0; r < R; r++) {
        var s = 0; for (var c = 0; c < C; c++) s += v[r * C + c];
        for (var c2 = 0; c2 < C; c2++) v[r * C + c2] = s > 0 ? v[r * C + c2] / s : 0;
      }
      var lo = Infinity, hi = -Infinity;
      v.forEach(function (x) { if (isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); } });
      if (spec.vmax != null && !norm) hi = spec.vmax;
      var div = !!spec.diverging, amax = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      if (!div) { lo = Math.min(0, lo); if (!(hi > lo)) hi = lo + 1; }
      var isInt = !norm && v.every(function (x) { return Math.round(x) === x; });
      for (var i = 0; i < R; i++) for (var j = 0; j < C; j++) {
        var x = v[i * C + j], t = div ? x / amax : (x - lo) / (hi - lo);
        var rect = sv("rect", { x: m.l + j * cell, y: m.t + i * cell, width: cell, height: cell, fill: div ? divColor(t) : seqColor(t), stroke: "#fff", "stroke-width": 0.5 }, svg);
        rect.__evz = [i, j, x];
        if (spec.annotate && cell >= 14) {
          var txt = isInt ? String(x) : (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(2).replace(/^0\./, ".").replace(/^-0\./, "-."));
          sv("text", { x: m.l + j * cell + cell / 2, y: m.t + i * cell + cell / 2 + 3.5, "text-anchor": "middle", "pointer-events": "none", style: "font-size:" + Math.min(11, cell / 3.2) + "px;fill:" + ((div ? Math.abs(t) : t) > 0.55 ? "#fff" : "#222"), text: txt }, svg);
        }
      }
      spec.rows.forEach(function (s, i) { sv("text", { x: m.l - 4, y: m.t + i * cell + cell / 2 + 3.5, "text-anchor": "end", text: s }, svg); });
      spec.cols.forEach(function (s, j) {
        var x = m.l + j * cell + cell / 2, y = m.t + R * cell + 12;
        if (rot) sv("text", { x: x, y: y - 4, "text-anchor": "end", transform: "rotate(-50 " + x + " " + (y - 4) + ")", text: s }, svg);
        else sv("text", { x: x, y: y, "text-anchor": "middle", text: s }, svg);
      });
      if (spec.xlabel) sv("text", { x: m.l + C * cell / 2, y: H - 4, "text-anchor": "middle", text: spec.xlabel }, svg);
      if (spec.ylabel) sv("text", { x: 10, y: m.t + R * cell / 2, "text-anchor": "middle", transform: "rotate(-90 10 " + (m.t + R * cell / 2) + ")", text: spec.ylabel }, svg);
      // color bar
      var bx = m.l + C * cell + 14, bh = R * cell;
      for (var k = 0; k < 40; k++) {
        var tt = div ? 1 - 2 * k / 39 : 1 - k / 39;
        sv("rect", { x: bx, y: m.t + k * bh / 40, width: 12, height: bh / 40 + 0.5, fill: div ? divColor(tt) : seqColor(tt) }, svg);
      }
      sv("text", { x: bx + 15, y: m.t + 9, text: tickLabel(+(div ? amax : hi).toPrecision(3)) }, svg);
      sv("text", { x: bx + 15, y: m.t + bh, text: tickLabel(+(div ? -amax : lo).toPrecision(3)) }, svg);
    }
    svg.addEventListener("mousemove", function (ev) {
      var t = ev.target.__evz;
      if (!t) { tip.style.display = "none"; return; }
      tip.innerHTML = escapeHTML((spec.ylabel || "row") + ": " + spec.rows[t[0]]) + "<br>" + escapeHTML((spec.xlabel || "col") + ": " + spec.cols[t[1]]) + "<br><b>" + fmt(t[2]) + "</b>";
      var r = svg.getBoundingClientRect();
      tip.style.display = "block"; tip.style.left = (ev.clientX - r.left + 12) + "px"; tip.style.top = (ev.clientY - r.top + 12) + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    draw();
    return { set: function (i) { idx = i; if (slider) slider.value = i; draw(); } };
  }

  // ---------------------------------------------------------------- animation player (canvas)
  var players = {};
  // decodeKnn decodes the neighbour lists (vizlib's encodeKnn): F·n·k position codes (c < k:
  // entry c of the point's list at the previous snapshot; k: a new neighbour), then the new
  // neighbours' indices in `bytes` planes of bytes, low bytes first. Returns [F][n][k].
  function decodeKnn(s, bytes, F, n, k) {
    var u = unz(s), N = F * n * k, out = new Int32Array(N), m = 0, w = 0, i, b;
    for (i = 0; i < N; i++) if (u[i] === k) m++;
    if (u.length !== N + m * bytes) throw new Error("neighbour lists: " + u.length + " bytes, want " + (N + m * bytes));
    for (i = 0; i < N; i++) {
      var c = u[i];
      if (c === k) { var v = 0; for (b = 0; b < bytes; b++) v |= u[N + b * m + w] << (8 * b); w++; out[i] = v; continue; }
      if (c > k || i < n * k) throw new Error("neighbour lists: bad position code " + c + " at entry " + i);
      out[i] = out[i - n * k - i % k + c];
    }
    return out;
  }
  // decodeCoords decodes a panel's coordinates (vizlib's packFrames): per frame, the zigzag-coded
  // change of each point's 12-bit x and y since the previous frame in four byte planes (x high,
  // x low, y high, y low). Returns [F][n][2] in [0, 1].
  function decodeCoords(s, F, n, title) {
    var u = unz(s), xy = new Float32Array(F * n * 2), px = new Int32Array(n), py = new Int32Array(n);
    if (u.length !== F * n * 4) throw new Error("panel '" + title + "': coordinate payload has " + u.length + " bytes, want " + (F * n * 4));
    for (var t = 0, o = 0, k = 0; t < F; t++, o += 4 * n) for (var j = 0; j < n; j++, k += 2) {
      var zx = (u[o + j] << 8) | u[o + n + j], zy = (u[o + 2 * n + j] << 8) | u[o + 3 * n + j];
      px[j] += (zx >>> 1) ^ -(zx & 1); py[j] += (zy >>> 1) ^ -(zy & 1);
      xy[k] = px[j] / 4095; xy[k + 1] = py[j] / 4095;
    }
    return xy;
  }
  // decodePreds decodes predictions (vizlib's encodePreds): each frame's change from the
  // previous one modulo 2^(8·bytes). Returns [F][n].
  function decodePreds(s, bytes, F, n) {
    var v = ints(unz(s), bytes, F * n), mask = bytes === 2 ? 0xffff : 0xff;
    for (var i = n; i < F * n; i++) v[i] = (v[i] + v[i - n]) & mask;
    return v;
  }
  // decodeThumbs decodes the hover thumbnails (vizlib's encodeThumbs): n thumbnails of h x w x c
  // pixels (HWC) whose levels (L of them) are coded with LZMA's binary range coder, three binary
  // decisions per pixel (the level's bits, high first) with adaptive 11-bit probabilities in the
  // context of the pixel's left, upper and upper-left levels (and its level in the previous
  // channel). Returns the pixel values (level * 255 / (L - 1)).
  function decodeThumbs(s, n, w, h, c, L) {
    if (L !== 8) throw new Error("thumbnails: " + L + " levels, want 8");
    var u = b64(s), N = n * w * h * c, lv = new Uint8Array(N), out = new Uint8Array(N), P = new Uint16Array(9 * 512 * 8).fill(1024);
    var len = u.length, pos = 5, rng = 0xffffffff, code = 0, i, val = [];
    if (len < 5 || u[0] !== 0) throw new Error("thumbnails: bad stream header");
    for (i = 1; i < 5; i++) code = code * 256 + u[i];
    for (i = 0; i < L; i++) val.push(Math.floor(i * 255 / (L - 1)));
    function bit(k) {
      var p = P[k], bound = (rng >>> 11) * p;
      if (code < bound) { rng = bound; P[k] = p + ((2048 - p) >> 4); p = 0; }
      else { code -= bound; rng -= bound; P[k] = p - (p >> 4); p = 1; }
      while (rng < 16777216) { rng *= 256; code = code * 256 + (pos < len ? u[pos] : 0); pos++; }
      return p;
    }
    for (var o = 0, wc = w * c; o < N;) for (var y = 0; y < h; y++) for (var x = 0; x < w; x++) for (var ch = 0; ch < c; ch++, o++) {
      var k = ((((ch ? 1 + lv[o - 1] : 0) * 8 + (x ? lv[o - c] : 0)) * 8 + (y ? lv[o - wc] : 0)) * 8 + (x && y ? lv[o - wc - c] : 0)) * 8;
      var node = 1;
      node = 2 * node + bit(k + node); node = 2 * node + bit(k + node); node = 2 * node + bit(k + node);
      lv[o] = node - 8; out[o] = val[node - 8];
    }
    if (pos > len) throw new Error("thumbnails: stream ends " + (pos - len) + " bytes early");
    return out;
  }
  // decodeIndices decodes dataset indices (vizlib's encodeIndices): little-endian 32-bit changes
  // from the previous index, modulo 2^32.
  function decodeIndices(s, n) {
    var u = unz(s), out = new Array(n), prev = 0;
    if (u.length !== 4 * n) throw new Error("indices: " + u.length + " bytes, want " + 4 * n);
    for (var j = 0; j < n; j++) { prev = (prev + (u[4 * j] | (u[4 * j + 1] << 8) | (u[4 * j + 2] << 16) | (u[4 * j + 3] << 24))) | 0; out[j] = prev; }
    return out;
  }
  function Player(root, spec) {
    var n = spec.n, F = spec.f, K = Math.max(0, spec.interp | 0), D = (F - 1) * (K + 1) + 1;
    var dpr = Math.max(1, Math.min(2, window.devicePixelRatio || 1));
    var S = spec.size || 320, SP = Math.round(S * dpr);
    var ps = Math.max(1, Math.round((spec.pointSize || (n > 3000 ? 2 : 3)) * dpr)), h2 = ps / 2;
    var pad = ps + Math.round(4 * dpr), scale = SP - 2 * pad - ps;
    var labels = spec.labels ? ints(unz(spec.labels), spec.lbytes, n) : null;
    var indices = spec.indices ? decodeIndices(spec.indices, n) : null;
    var C = spec.classNames ? spec.classNames.length : 0;
    if (labels) for (var li = 0; li < n; li++) C = Math.max(C, labels[li] + 1);
    var KN = spec.knnK || 0;
    // runs: predictions and neighbour lists of each run shown (panels of a comparison refer to theirs)
    var runs = (spec.runs && spec.runs.length ? spec.runs : [{ preds: spec.preds, knn: spec.knn }]).map(function (r) {
      return { name: r.name || "", preds: r.preds ? decodePreds(r.preds, spec.lbytes, F, n) : null, knn: r.knn && KN ? decodeKnn(r.knn, spec.knnBytes || 2, F, n, KN) : null };
    });
    var preds = runs[0].preds;
    // per point colors: packed ABGR (little endian RGBA)
    var col = new Uint32Array(n), dim = new Uint32Array(n), classRGB = [];
    for (var c = 0; c < C; c++) classRGB.push(rgbOf(color(c)));
    var rgb = spec.colors ? unz(spec.colors) : null;
    function pack(r, g, b) { return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0; }
    for (var i = 0; i < n; i++) {
      var cc = rgb ? [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]] : (labels ? classRGB[labels[i]] : [31, 119, 180]);
      col[i] = pack(cc[0], cc[1], cc[2]);
      dim[i] = pack(Math.round(cc[0] * 0.2 + 204), Math.round(cc[1] * 0.2 + 204), Math.round(cc[2] * 0.2 + 204));
    }
    var hidden = new Uint8Array(Math.max(C, 1)), highlight = -1, hover = -1, pin = -1;
    // the selection: one set of points shared by every panel, frame and run
    var sel = new Uint8Array(n), selList = new Int32Array(0), selCell = null;
    // decode coordinates: 12 bits per axis, 3 bytes per point, normalized to [0,1]
    var panels = spec.panels.map(function (p) {
      return { title: p.title, xy: decodeCoords(p.data, F, n, p.title), pos: new Float32Array(n * 2), run: Math.min(runs.length - 1, p.run | 0) };
    });

    if (spec.title) el("div", { cls: "evz-title", text: spec.title }, root);
    var ctl = null, btn = null, slider = null, speedSel = null, loopCb = null, counter = null;
    var caption = el("div", { cls: "evz-caption" }, root);
    if (!spec.static) {
      ctl = el("div", { cls: "evz-controls" }, root);
      btn = el("button", { type: "button", "aria-label": "Play", text: "▶ Play" }, ctl);
      slider = el("input", { type: "range", min: 0, max: D - 1, step: 1, value: 0, "aria-label": "Frame" }, ctl);
      counter = el("span", { cls: "evz-caption" }, ctl);
      var sl = el("label", null, ctl); sl.appendChild(document.createTextNode("speed "));
      speedSel = el("select", { "aria-label": "Speed" }, sl);
      [["0.25", "¼×"], ["0.5", "½×"], ["1", "1×"], ["2", "2×"], ["4", "4×"], ["max", "max"]].forEach(function (o) {
        var op = el("option", { value: o[0], text: o[1] }, speedSel); if (o[0] === "1") op.selected = true;
      });
      var ll = el("label", null, ctl); loopCb = el("input", { type: "checkbox", "aria-label": "Loop" }, ll);
      loopCb.checked = spec.loop !== false; ll.appendChild(document.createTextNode(" loop"));
      var png = el("button", { type: "button", "aria-label": "Save PNG", text: "PNG" }, ctl);
      png.addEventListener("click", savePNG);
    }
    // selection toolbar: brush mode, count, clear, trails, queries
    var bar = el("div", { cls: "evz-controls evz-select", role: "toolbar", "aria-label": "Selection" }, root);
    var mode = "box", modeBtns = {};
    el("span", { text: "brush" }, bar);
    [["box", "Box", "Box brush"], ["lasso", "Lasso", "Lasso brush"]].forEach(function (m) {
      var b = el("button", { type: "button", "aria-label": m[2], "aria-pressed": m[0] === mode ? "true" : "false", text: m[1] }, bar);
      b.addEventListener("click", function () { setMode(m[0]); });
      modeBtns[m[0]] = b;
    });
    var countEl = el("span", { cls: "evz-count", role: "status", "aria-live": "polite", text: "no selection" }, bar);
    var clearBtn = el("button", { type: "button", "aria-label": "Clear selection", text: "Clear", title: "Escape" }, bar);
    clearBtn.addEventListener("click", function () { clearSelection(); });
    var tl = el("label", null, bar); tl.appendChild(document.createTextNode("trails "));
    var trailSel = el("select", { "aria-label": "Trail length" }, tl);
    [["0", "off"], ["4", "4 snapshots"], ["8", "8 snapshots"], ["all", "all"]].forEach(function (o) {
      var op = el("option", { value: o[0], text: o[1] }, trailSel); if (o[0] === "8") op.selected = true;
    });
    trailSel.addEventListener("change", function () { render(true); });
    var qbar = el("div", { cls: "evz-controls evz-select", role: "toolbar", "aria-label": "Queries" }, root);
    var addL = el("label", { title: "add to the selection instead of replacing it (or hold Shift)" }, qbar);
    var addCb = el("input", { type: "checkbox", "aria-label": "Add to selection" }, addL); addL.appendChild(document.createTextNode(" add"));
    var classSel = null;
    if (labels && C > 0) {
      classSel = el("select", { "aria-label": "Select class" }, qbar);
      el("option", { value: "", text: "select class…" }, classSel);
      for (var qc = 0; qc < C; qc++) el("option", { value: String(qc), text: className(qc) }, classSel);
      classSel.addEventListener("change", function () {
        if (classSel.value === "") return;
        var c = +classSel.value, out = [];
        for (var j = 0; j < n; j++) if (labels[j] === c) out.push(j);
        select(out, addCb.checked); classSel.value = "";
      });
    }
    var idxIn = el("input", { type: "text", size: 12, placeholder: "#index, a-b", "aria-label": "Select samples by index", title: "sample indices (as #shown on hover), ranges a-b; Enter selects" }, qbar);
    idxIn.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter") return;
      ev.preventDefault(); select(parseIndices(idxIn.value), addCb.checked || ev.shiftKey);
    });
    var runSel = null, missBtn = null;
    var predRuns = runs.map(function (r, i) { return r.preds ? i : -1; }).filter(function (i) { return i >= 0; });
    if (labels && predRuns.length) {
      if (runs.length > 1) {
        runSel = el("select", { "aria-label": "Run for queries" }, qbar);
        predRuns.forEach(function (ri) { el("option", { value: String(ri), text: runs[ri].name || "run " + (ri + 1) }, runSel); });
      }
      missBtn = el("button", { type: "button", "aria-label": "Select misclassified at this snapshot", text: "misclassified" }, qbar);
      missBtn.addEventListener("click", function (ev) {
        var pr = runs[queryRun()].preds, o = snapshotOf(t) * n, out = [];
        for (var j = 0; j < n; j++) if (pr[o + j] !== labels[j]) out.push(j);
        select(out, addCb.checked || ev.shiftKey);
      });
    }
    if (predRuns.length && F > 1) {
      el("span", { text: "changed between" }, qbar);
      var aIn = el("input", { type: "number", min: 1, max: F, value: 1, "aria-label": "Snapshot a", style: "width:4em" }, qbar);
      var bIn = el("input", { type: "number", min: 1, max: F, value: F, "aria-label": "Snapshot b", style: "width:4em" }, qbar);
      var chBtn = el("button", { type: "button", "aria-label": "Select samples whose prediction changed between snapshots a and b", text: "changed" }, qbar);
      chBtn.addEventListener("click", function (ev) {
        var pr = runs[queryRun()].preds, a = Math.max(1, Math.min(F, +aIn.value | 0)) - 1, b = Math.max(1, Math.min(F, +bIn.value | 0)) - 1, out = [];
        for (var j = 0; j < n; j++) if (pr[a * n + j] !== pr[b * n + j]) out.push(j);
        select(out, addCb.checked || ev.shiftKey);
      });
    }
    function queryRun() { return runSel ? +runSel.value : predRuns[0]; }
    function className(c) { return spec.classNames && spec.classNames[c] !== undefined ? String(spec.classNames[c]) : String(c); }
    var legend = null, legendItems = [];
    if (labels && !rgb && C > 0) {
      legend = el("div", { cls: "evz-legend" }, root);
      for (var ci = 0; ci < C; ci++) (function (ci) {
        var sp = el("span", { title: "click: show/hide; hover: highlight" }, legend);
        el("i", { style: "background:" + color(ci) }, sp);
        sp.appendChild(document.createTextNode(className(ci)));
        sp.addEventListener("click", function () { hidden[ci] ^= 1; sp.className = hidden[ci] ? "off" : ""; render(true); });
        sp.addEventListener("mouseenter", function () { highlight = ci; render(true); });
        sp.addEventListener("mouseleave", function () { highlight = -1; render(true); });
        legendItems.push(sp);
      })(ci);
    }
    var confRuns = spec.confusion && labels ? predRuns : [];
    var cols = Math.max(1, spec.cols || Math.min(3, panels.length + confRuns.length));
    var grid = el("div", { cls: "evz-grid", style: "grid-template-columns:repeat(" + cols + "," + (S + 2) + "px)" }, root);
    var tip = el("div", { cls: "evz-tip" }, root);
    panels.forEach(function (p, pi) {
      var box = el("div", { cls: "evz-panel" }, grid);
      if (p.title) el("div", { cls: "evz-ptitle", text: p.title, title: p.title }, box);
      p.canvas = el("canvas", { width: SP, height: SP, style: "width:" + S + "px;height:" + S + "px", "data-panel": pi, role: "img", "aria-label": (p.title || "panel " + (pi + 1)) + ": drag to select points (box or lasso), Shift adds; click a point for its neighbours" }, box);
      p.ctx = p.canvas.getContext("2d", { alpha: false }); // opaque: the compositor skips blending
      p.img = p.ctx.createImageData(SP, SP);
      p.buf = new Uint32Array(p.img.data.buffer);
      p.canvas.addEventListener("mousemove", function (ev) { if (!drag) onHover(p, ev); });
      p.canvas.addEventListener("mouseleave", function () { if (drag) return; hover = -1; tip.style.display = "none"; overlayAll(); updateNeighbors(); });
      p.canvas.addEventListener("mousedown", function (ev) { startDrag(p, ev); });
    });
    var confs = confRuns.map(function (ri) {
      var cbox = el("div", { cls: "evz-panel" }, grid);
      el("div", { cls: "evz-ptitle", text: "confusion matrix" + (runs.length > 1 ? " · " + (runs[ri].name || "run " + (ri + 1)) : "") + " (rows: label, cols: prediction)" }, cbox);
      var cf = { run: ri, canvas: el("canvas", { width: SP, height: SP, style: "width:" + S + "px;height:" + S + "px", "data-confusion": String(ri), tabindex: "0", role: "grid",
        "aria-label": "Confusion matrix" + (runs.length > 1 ? " of " + (runs[ri].name || "run " + (ri + 1)) : "") + ": click a cell, or arrow keys and Enter, to select its samples at this snapshot" }, cbox), snap: -1, counts: [], bitmaps: [], acc: [], cur: [0, 0], focus: false };
      cf.ctx = cf.canvas.getContext("2d");
      cf.canvas.addEventListener("click", function (ev) {
        var r = cf.canvas.getBoundingClientRect(), x = (ev.clientX - r.left) * SP / r.width, y = (ev.clientY - r.top) * SP / r.height;
        var g = confGeom(), col = Math.floor((x - g.L) / g.cs), row = Math.floor((y - g.L) / g.cs);
        if (row < 0 || col < 0 || row >= C || col >= C) return;
        cf.cur = [row, col]; selectCell(cf, row, col, ev.shiftKey || addCb.checked);
      });
      cf.canvas.addEventListener("focus", function () { cf.focus = true; drawConfusion(cf, snapshotOf(t), true); });
      cf.canvas.addEventListener("blur", function () { cf.focus = false; drawConfusion(cf, snapshotOf(t), true); });
      cf.canvas.addEventListener("keydown", function (ev) {
        var d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[ev.key];
        if (d) { cf.cur = [Math.max(0, Math.min(C - 1, cf.cur[0] + d[0])), Math.max(0, Math.min(C - 1, cf.cur[1] + d[1]))]; drawConfusion(cf, snapshotOf(t), true); }
        else if (ev.key === "Enter" || ev.key === " ") selectCell(cf, cf.cur[0], cf.cur[1], ev.shiftKey || addCb.checked);
        else return;
        ev.preventDefault(); ev.stopPropagation();
      });
      return cf;
    });
    var conf = confs[0] || null;
    var thumbs = spec.thumbs ? { w: spec.thumbs.w, h: spec.thumbs.h, c: spec.thumbs.c, data: null } : null;
    // nearest neighbours of the pinned (clicked) or hovered point, at the current snapshot
    var nbBox = runs.some(function (r) { return r.knn; }) ? el("div", { cls: "evz-nbrs", role: "list", "aria-label": "Nearest neighbours" }, root) : null;
    if (nbBox) el("div", { cls: "evz-nbhead", text: "Click a point (or hover) for its " + KN + " nearest neighbours in the embedding space." }, nbBox);
    var nbKey = "", nbRun = 0;

    var t = 0, playing = false, lastTs = 0, stats = { draws: [], stamps: [] }, lastDrawn = -1;
    var fps = spec.fps || 8, drag = null;

    function snapshotOf(tt) { return Math.min(F - 1, Math.round(tt / (K + 1))); }
    function drawPanel(p, tt) {
      var s = tt / (K + 1), i0 = Math.floor(s), a = s - i0;
      if (i0 >= F - 1) { i0 = F - 1; a = 0; }
      var i1 = Math.min(F - 1, i0 + 1), xy = p.xy, o0 = i0 * n * 2, o1 = i1 * n * 2, pos = p.pos, buf = p.buf;
      buf.fill(0xffffffff);
      var b = 1 - a, W = SP, emph = selList.length ? 1 : (highlight >= 0 ? 2 : 0), j, row, cv, dy, dx;
      for (j = 0; j < n; j++) {
        var lab = labels ? labels[j] : 0;
        if (labels && hidden[lab]) { pos[2 * j] = -1e9; continue; }
        var x = xy[o0 + 2 * j] * b + xy[o1 + 2 * j] * a, y = xy[o0 + 2 * j + 1] * b + xy[o1 + 2 * j + 1] * a;
        var px = (pad + x * scale) | 0, py = (pad + (1 - y) * scale) | 0;
        pos[2 * j] = px; pos[2 * j + 1] = py;
        if (emph === 1 ? sel[j] : (emph === 2 && lab === highlight)) continue; // drawn on top below
        cv = emph ? dim[j] : col[j]; row = py * W + px;
        for (dy = 0; dy < ps; dy++, row += W) for (dx = 0; dx < ps; dx++) buf[row + dx] = cv;
      }
      if (emph === 1) {
        trailsBuf(p, tt);
        for (var q = 0; q < selList.length; q++) {
          j = selList[q]; if (pos[2 * j] < -1e8) continue;
          cv = col[j]; row = pos[2 * j + 1] * W + pos[2 * j];
          for (dy = 0; dy < ps; dy++, row += W) for (dx = 0; dx < ps; dx++) buf[row + dx] = cv;
        }
      } else if (emph === 2) {
        for (j = 0; j < n; j++) {
          if (labels[j] !== highlight || pos[2 * j] < -1e8) continue;
          cv = col[j]; row = pos[2 * j + 1] * W + pos[2 * j];
          for (dy = 0; dy < ps; dy++, row += W) for (dx = 0; dx < ps; dx++) buf[row + dx] = cv;
        }
      }
      p.ctx.putImageData(p.img, 0, 0);
    }
    function trailLen() { var v = trailSel.value; return v === "all" ? F : +v; }
    // trailsBuf draws into the panel's pixels the path over the last snapshots of each selected
    // point (at most 2000), in its color, fading with age (blended lines, under the points).
    function trailsBuf(p, tt) {
      var L = trailLen(), m = Math.min(selList.length, 2000);
      if (!L || !m) return;
      var s = tt / (K + 1), i0 = Math.min(F - 1, Math.floor(s)), start = Math.max(0, i0 - L + 1), span = i0 - start + 1;
      var xy = p.xy, pos = p.pos, buf = p.buf, W = SP, off = h2 | 0, thick = dpr >= 2 ? 2 : 1;
      for (var q = 0; q < m; q++) {
        var j = selList[q];
        if (pos[2 * j] < -1e8) continue;
        var c = col[j], cr = c & 255, cg = (c >>> 8) & 255, cb = (c >>> 16) & 255;
        var x0 = (pad + xy[(start * n + j) * 2] * scale + off) | 0, y0 = (pad + (1 - xy[(start * n + j) * 2 + 1]) * scale + off) | 0;
        for (var si = start; si <= i0; si++) {
          var x1, y1;
          if (si === i0) { x1 = pos[2 * j] + off; y1 = pos[2 * j + 1] + off; }
          else { x1 = (pad + xy[((si + 1) * n + j) * 2] * scale + off) | 0; y1 = (pad + (1 - xy[((si + 1) * n + j) * 2 + 1]) * scale + off) | 0; }
          var A = Math.round((0.15 + 0.7 * (span - (i0 - si)) / span) * 256), B = 256 - A;
          var dx = x1 - x0, dy = y1 - y0, len = Math.max(Math.abs(dx), Math.abs(dy));
          for (var k = 0; k <= len; k++) {
            var px = len ? (x0 + dx * k / len + 0.5) | 0 : x0, py = len ? (y0 + dy * k / len + 0.5) | 0 : y0;
            for (var w = 0; w < thick; w++) {
              var idx = py * W + px + w, e = buf[idx];
              buf[idx] = ((255 << 24) | ((((e >>> 16) & 255) * B + cb * A) >> 8) << 16 | ((((e >>> 8) & 255) * B + cg * A) >> 8) << 8 | (((e & 255) * B + cr * A) >> 8)) >>> 0;
            }
          }
          x0 = x1; y0 = y1;
        }
      }
    }
    // trails draws the path so far of the hovered (or pinned) point over the panel.
    function trails(p) {
      var ctx = p.ctx, xy = p.xy, i0 = Math.min(F - 1, Math.floor(t / (K + 1)));
      function X(si, j) { return pad + xy[(si * n + j) * 2] * scale + h2; }
      function Y(si, j) { return pad + (1 - xy[(si * n + j) * 2 + 1]) * scale + h2; }
      var hp = hover >= 0 ? hover : pin;
      if (hp >= 0 && p.pos[2 * hp] > -1e8) { // the hovered point's whole path so far
        ctx.lineWidth = 1.5 * dpr; ctx.strokeStyle = "#000";
        for (var k = 0; k <= i0; k++) {
          ctx.globalAlpha = 0.15 + 0.75 * (k + 1) / (i0 + 1);
          ctx.beginPath(); ctx.moveTo(X(k, hp), Y(k, hp));
          if (k < i0) ctx.lineTo(X(k + 1, hp), Y(k + 1, hp)); else ctx.lineTo(p.pos[2 * hp] + h2, p.pos[2 * hp + 1] + h2);
          ctx.stroke();
        }
        ctx.globalAlpha = 1;
      }
    }
    function ring(p, j, r, style, w) {
      if (j < 0 || p.pos[2 * j] < -1e8) return;
      var ctx = p.ctx; ctx.beginPath(); ctx.arc(p.pos[2 * j] + h2, p.pos[2 * j + 1] + h2, r * dpr, 0, 2 * Math.PI);
      ctx.lineWidth = w * dpr; ctx.strokeStyle = style; ctx.stroke();
    }
    function overlay(p) {
      trails(p);
      var f = pin >= 0 ? pin : hover, kn = f >= 0 ? runs[p.run].knn : null;
      if (kn) { var o = (snapshotOf(t) * n + f) * KN; for (var q = 0; q < KN; q++) ring(p, kn[o + q], 4.5, "#e8590c", 1.6); }
      ring(p, pin, 7, "#e8590c", 2);
      ring(p, hover, 6, "#000", 2);
      if (drag && drag.p === p && drag.pts.length > 1) {
        var ctx = p.ctx, a = drag.pts[0], z = drag.pts[drag.pts.length - 1];
        ctx.save(); ctx.setLineDash([4 * dpr, 3 * dpr]); ctx.lineWidth = dpr; ctx.strokeStyle = "#333"; ctx.fillStyle = "rgba(30,120,220,0.08)";
        ctx.beginPath();
        if (drag.mode === "box") ctx.rect(Math.min(a[0], z[0]), Math.min(a[1], z[1]), Math.abs(z[0] - a[0]), Math.abs(z[1] - a[1]));
        else { ctx.moveTo(a[0], a[1]); for (var i = 1; i < drag.pts.length; i++) ctx.lineTo(drag.pts[i][0], drag.pts[i][1]); ctx.closePath(); }
        ctx.fill(); ctx.stroke(); ctx.restore();
      }
    }
    function overlayAll() { panels.forEach(function (p) { p.ctx.putImageData(p.img, 0, 0); overlay(p); }); }
    function confusionAt(cf, si) {
      if (cf.counts[si]) return cf.counts[si];
      var m = new Int32Array(C * C), o = si * n, pr = runs[cf.run].preds;
      for (var j = 0; j < n; j++) { var v = pr[o + j]; if (v >= 0 && v < C) m[labels[j] * C + v]++; }
      cf.counts[si] = m; return m;
    }
    // confMargin: room for the class names left of and above the confusion matrix (CSS px).
    var confMargin = (function () {
      if (!spec.classNames) return 34;
      var mc = document.createElement("canvas").getContext("2d"), w = 0;
      mc.font = "11px sans-serif";
      spec.classNames.forEach(function (nm) { w = Math.max(w, mc.measureText(String(nm)).width); });
      return Math.round(Math.min(S * 0.3, Math.max(34, w + 8)));
    })();
    function confGeom() { var L = Math.round(confMargin * dpr); return { L: L, cs: (SP - L - 4 * dpr) / C }; }
    function drawConfusion(cf, si, force) {
      if (!cf || (cf.snap === si && !force)) return;
      cf.snap = si;
      cf.canvas.setAttribute("data-snapshot", si);
      cf.canvas.setAttribute("data-margin", confMargin); // CSS px left of and above the cells
      var ctx = cf.ctx, g = confGeom(), L = g.L, cs = g.cs;
      if (cf.bitmaps[si]) ctx.putImageData(cf.bitmaps[si], 0, 0);
      else {
        var m = confusionAt(cf, si);
        ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, SP, SP);
        ctx.font = Math.round(Math.min(11, cs / dpr / 2.6) * dpr) + "px sans-serif";
        ctx.textAlign = "center"; ctx.textBaseline = "middle";
        var correct = 0;
        for (var r = 0; r < C; r++) {
          var rs = 0; for (var c = 0; c < C; c++) rs += m[r * C + c];
          correct += m[r * C + r];
          for (var c2 = 0; c2 < C; c2++) {
            var v = m[r * C + c2], fr = rs > 0 ? v / rs : 0;
            ctx.fillStyle = seqColor(fr); ctx.fillRect(L + c2 * cs, L + r * cs, cs - 1, cs - 1);
            if (cs >= 14 * dpr && !spec.confNoAnnot) { ctx.fillStyle = fr > 0.55 ? "#fff" : "#222"; ctx.fillText(String(v), L + c2 * cs + cs / 2, L + r * cs + cs / 2); }
          }
        }
        ctx.fillStyle = "#333";
        var short = !spec.classNames || spec.classNames.every(function (s) { return String(s).length <= 5; });
        if (!short) ctx.font = Math.round(Math.min(11, cs / dpr * 0.8) * dpr) + "px sans-serif";
        for (var k = 0; k < C; k++) {
          var nm = spec.classNames && spec.classNames[k] !== undefined ? String(spec.classNames[k]) : String(k);
          if (short) {
            ctx.fillText(nm, L + k * cs + cs / 2, L / 2);
            ctx.save(); ctx.translate(L / 2, L + k * cs + cs / 2); ctx.fillText(nm, 0, 0); ctx.restore();
          } else { // long names: right-aligned row labels, column labels rotated (as matplotlib's)
            ctx.save(); ctx.textAlign = "right"; ctx.fillText(nm, L - 4 * dpr, L + k * cs + cs / 2);
            ctx.translate(L + k * cs + cs / 2, L - 4 * dpr); ctx.rotate(-Math.PI / 2); ctx.textAlign = "left"; ctx.fillText(nm, 0, 0); ctx.restore();
          }
        }
        cf.acc[si] = (correct / n).toFixed(4);
        cf.bitmaps[si] = ctx.getImageData(0, 0, SP, SP); // replayed when the snapshot comes back
      }
      cf.canvas.setAttribute("data-accuracy", cf.acc[si]);
      if (selCell && selCell.cf === cf) { ctx.lineWidth = 2.5 * dpr; ctx.strokeStyle = "#e8590c"; ctx.strokeRect(L + selCell.c * cs, L + selCell.r * cs, cs - 1, cs - 1); }
      if (cf.focus) { ctx.save(); ctx.setLineDash([3 * dpr, 2 * dpr]); ctx.lineWidth = 1.5 * dpr; ctx.strokeStyle = "#000"; ctx.strokeRect(L + cf.cur[1] * cs + 1, L + cf.cur[0] * cs + 1, cs - 3, cs - 3); ctx.restore(); }
    }
    function selectCell(cf, r, c, add) {
      var si = snapshotOf(t), pr = runs[cf.run].preds, o = si * n, out = [];
      for (var j = 0; j < n; j++) if (labels[j] === r && pr[o + j] === c) out.push(j);
      select(out, add);
      selCell = { cf: cf, r: r, c: c };
      root.setAttribute("data-cell", r + "," + c + "," + si + "," + cf.run);
      confs.forEach(function (x) { drawConfusion(x, si, true); });
    }
    function select(list, add) {
      if (!add) sel.fill(0);
      for (var q = 0; q < list.length; q++) { var j = list[q]; if (j >= 0 && j < n) sel[j] = 1; }
      selCell = null; root.removeAttribute("data-cell");
      selectionChanged();
    }
    function clearSelection() { sel.fill(0); selCell = null; root.removeAttribute("data-cell"); pin = -1; selectionChanged(); updateNeighbors(); }
    function selectionChanged() {
      var m = 0; for (var j = 0; j < n; j++) m += sel[j];
      selList = new Int32Array(m); for (var j2 = 0, q = 0; j2 < n; j2++) if (sel[j2]) selList[q++] = j2;
      countEl.textContent = m ? m + " of " + n + " selected" + (m > 2000 && +trailSel.value !== 0 ? " (trails for 2000)" : "") : "no selection";
      root.setAttribute("data-selected", m);
      var si = snapshotOf(t);
      confs.forEach(function (x) { drawConfusion(x, si, true); });
      render(true);
    }
    function parseIndices(s) {
      var want = [], byIndex = null;
      if (indices) { byIndex = {}; indices.forEach(function (v, j) { (byIndex[v] = byIndex[v] || []).push(j); }); }
      s.split(/[\s,;]+/).forEach(function (tok) {
        tok = tok.replace(/^#/, ""); if (!tok) return;
        var m = /^(\d+)(?:-(\d+))?$/.exec(tok); if (!m) return;
        var a = +m[1], b = m[2] !== undefined ? +m[2] : a;
        for (var v = a; v <= b && v - a <= 1e6; v++) {
          if (byIndex) (byIndex[v] || []).forEach(function (j) { want.push(j); });
          else if (v < n) want.push(v);
        }
      });
      return want;
    }
    function setMode(m) { mode = m; for (var k in modeBtns) modeBtns[k].setAttribute("aria-pressed", k === m ? "true" : "false"); }
    function canvasXY(p, ev) { var r = p.canvas.getBoundingClientRect(); return [(ev.clientX - r.left) * SP / r.width, (ev.clientY - r.top) * SP / r.height]; }
    function startDrag(p, ev) {
      if (ev.button !== 0) return;
      ev.preventDefault(); root.focus({ preventScroll: true });
      drag = { p: p, mode: ev.altKey ? (mode === "box" ? "lasso" : "box") : mode, pts: [canvasXY(p, ev)], add: ev.shiftKey || addCb.checked };
      hover = -1; tip.style.display = "none";
      var move = function (e) { var q = canvasXY(p, e), last = drag.pts[drag.pts.length - 1]; if (Math.abs(q[0] - last[0]) + Math.abs(q[1] - last[1]) >= 2 * dpr) { drag.pts.push(q); overlayAll(); } };
      var up = function (e) {
        window.removeEventListener("mousemove", move); window.removeEventListener("mouseup", up);
        var d = drag; drag = null; d.pts.push(canvasXY(p, e));
        var a = d.pts[0], z = d.pts[d.pts.length - 1], moved = 0;
        d.pts.forEach(function (q) { moved = Math.max(moved, Math.abs(q[0] - a[0]) + Math.abs(q[1] - a[1])); });
        if (moved < 4 * dpr) { // a click: pin the nearest point (its neighbours), or unpin
          var best = nearest(p, a[0] - h2, a[1] - h2);
          pin = best === pin ? -1 : best; nbRun = p.run; overlayAll(); updateNeighbors(); return;
        }
        var out = [], pos = p.pos;
        if (d.mode === "box") {
          var x0 = Math.min(a[0], z[0]), x1 = Math.max(a[0], z[0]), y0 = Math.min(a[1], z[1]), y1 = Math.max(a[1], z[1]);
          for (var j = 0; j < n; j++) { var x = pos[2 * j] + h2, y = pos[2 * j + 1] + h2; if (x >= x0 && x <= x1 && y >= y0 && y <= y1) out.push(j); }
        } else {
          var P = d.pts, bx0 = Infinity, bx1 = -Infinity, by0 = Infinity, by1 = -Infinity;
          P.forEach(function (q) { bx0 = Math.min(bx0, q[0]); bx1 = Math.max(bx1, q[0]); by0 = Math.min(by0, q[1]); by1 = Math.max(by1, q[1]); });
          for (var j2 = 0; j2 < n; j2++) {
            var px = pos[2 * j2] + h2, py = pos[2 * j2 + 1] + h2;
            if (px < bx0 || px > bx1 || py < by0 || py > by1) continue;
            var inside = false;
            for (var i = 0, k = P.length - 1; i < P.length; k = i++) {
              if ((P[i][1] > py) !== (P[k][1] > py) && px < (P[k][0] - P[i][0]) * (py - P[i][1]) / (P[k][1] - P[i][1]) + P[i][0]) inside = !inside;
            }
            if (inside) out.push(j2);
          }
        }
        select(out, d.add);
      };
      window.addEventListener("mousemove", move); window.addEventListener("mouseup", up);
    }
    function nearest(p, mx, my) {
      var best = -1, bd = (8 * dpr) * (8 * dpr), pos = p.pos;
      for (var j = 0; j < n; j++) { var dx = pos[2 * j] - mx, dy = pos[2 * j + 1] - my, d = dx * dx + dy * dy; if (d < bd) { bd = d; best = j; } }
      return best;
    }
    function thumbCanvas(j, zoom, parent) {
      var tw = thumbs.w, th = thumbs.h, tc = thumbs.c, cv = el("canvas", { width: tw, height: th, style: "width:" + (tw * zoom) + "px;height:" + (th * zoom) + "px" }, parent);
      var ctx = cv.getContext("2d"), im = ctx.createImageData(tw, th), o = j * tw * th * tc;
      if (!thumbs.data) thumbs.data = decodeThumbs(spec.thumbs.rc, n, tw, th, tc, spec.thumbs.levels); // once, when first shown
      for (var q = 0; q < tw * th; q++) {
        var rr = thumbs.data[o + q * tc], gg = tc === 3 ? thumbs.data[o + q * tc + 1] : rr, bb = tc === 3 ? thumbs.data[o + q * tc + 2] : rr;
        im.data[4 * q] = rr; im.data[4 * q + 1] = gg; im.data[4 * q + 2] = bb; im.data[4 * q + 3] = 255;
      }
      ctx.putImageData(im, 0, 0);
      return cv;
    }
    function sampleName(j) { return "#" + (indices ? indices[j] : j); }
    function updateNeighbors() {
      if (!nbBox) return;
      var f = pin >= 0 ? pin : hover, si = snapshotOf(t), kn = f >= 0 ? runs[nbRun].knn : null, key = kn ? f + ":" + si + ":" + nbRun + ":" + (pin >= 0) : "";
      if (key === nbKey) return;
      nbKey = key;
      while (nbBox.firstChild) nbBox.removeChild(nbBox.firstChild);
      nbBox.removeAttribute("data-point");
      if (!kn) { el("div", { cls: "evz-nbhead", text: "Click a point (or hover) for its " + KN + " nearest neighbours in the embedding space." }, nbBox); return; }
      nbBox.setAttribute("data-point", f); nbBox.setAttribute("data-snapshot", si); nbBox.setAttribute("data-run", nbRun);
      var head = el("div", { cls: "evz-nbhead" }, nbBox);
      head.textContent = KN + " nearest neighbours of " + sampleName(f) + (labels ? " (" + className(labels[f]) + ")" : "") + " at snapshot " + (si + 1) + (runs.length > 1 ? " of " + (runs[nbRun].name || "run " + (nbRun + 1)) : "") + (pin >= 0 ? " · pinned (click it again to unpin)" : "");
      var sb = el("button", { type: "button", "aria-label": "Select these neighbours", text: "select" }, head);
      var o = (si * n + f) * KN, list = [f];
      sb.addEventListener("click", function (ev) { select(list, ev.shiftKey || addCb.checked); });
      var pr = runs[nbRun].preds;
      for (var q = 0; q < KN; q++) {
        var j = kn[o + q]; list.push(j);
        var it = el("div", { cls: "evz-nb", role: "listitem", "data-point": j }, nbBox);
        if (thumbs) thumbCanvas(j, 2, it);
        var txt = sampleName(j);
        if (labels) txt += " " + className(labels[j]);
        if (pr && labels) txt += pr[si * n + j] === labels[j] ? " ✓" : " ✗ " + className(pr[si * n + j]);
        el("span", { text: txt, style: labels && !rgb ? "border-left:4px solid " + color(labels[j]) + ";padding-left:3px" : "" }, it);
      }
    }
    function render(force) {
      var ti = Math.round(t * 1000) / 1000;
      if (!force && ti === lastDrawn) return;
      lastDrawn = ti;
      var t0 = performance.now();
      panels.forEach(function (p) { drawPanel(p, t); overlay(p); });
      var si = snapshotOf(t);
      confs.forEach(function (cf) { drawConfusion(cf, si); });
      if (playing) stats.draws.push(performance.now() - t0);
      var cap = spec.captions && spec.captions[si] ? spec.captions[si] : "";
      caption.textContent = cap;
      if (slider) { slider.value = Math.round(t); counter.textContent = "snapshot " + (si + 1) + "/" + F + (K ? " · frame " + (Math.round(t) + 1) + "/" + D : ""); }
      root.setAttribute("data-frame", Math.round(t));
      root.setAttribute("data-snapshot", si);
      if (hover >= 0) showTip();
      updateNeighbors();
    }
    function setPlaying(on) {
      playing = on;
      if (!btn) return;
      btn.textContent = on ? "❚❚ Pause" : "▶ Play";
      btn.setAttribute("aria-label", on ? "Pause" : "Play");
      if (on) { if (t >= D - 1) t = 0; lastTs = 0; requestAnimationFrame(tick); }
    }
    function tick(ts) {
      if (!playing) return;
      stats.stamps.push(ts);
      var sp = speedSel ? speedSel.value : "1";
      if (sp === "max") t += 1;
      else if (lastTs) t += (ts - lastTs) / 1000 * fps * (+sp) * (K + 1);
      lastTs = ts;
      if (t > D - 1) {
        if (loopCb && loopCb.checked) t = sp === "max" ? 0 : t % D; else { t = D - 1; render(); setPlaying(false); return; }
      }
      render();
      requestAnimationFrame(tick);
    }
    if (btn) {
      btn.addEventListener("click", function () { setPlaying(!playing); });
      slider.addEventListener("input", function () { t = +slider.value; render(); });
    }
    root.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); clearSelection(); return; }
      var tag = ev.target && ev.target.tagName;
      if (spec.static || tag === "INPUT" || tag === "SELECT" || tag === "BUTTON") return;
      if (ev.key === " " || ev.code === "Space") { ev.preventDefault(); ev.stopPropagation(); setPlaying(!playing); }
      else if (ev.key === "ArrowRight") { ev.preventDefault(); ev.stopPropagation(); t = Math.min(D - 1, Math.round(t) + 1); render(); }
      else if (ev.key === "ArrowLeft") { ev.preventDefault(); ev.stopPropagation(); t = Math.max(0, Math.round(t) - 1); render(); }
    });
    var tipPanel = null;
    function onHover(p, ev) {
      var q = canvasXY(p, ev), best = nearest(p, q[0] - h2, q[1] - h2);
      tipPanel = { p: p, x: ev.clientX, y: ev.clientY };
      if (best !== hover) { hover = best; if (pin < 0) nbRun = p.run; overlayAll(); updateNeighbors(); }
      if (best < 0) { tip.style.display = "none"; return; }
      showTip();
    }
    function showTip() {
      if (!tipPanel || hover < 0) return;
      var j = hover, si = snapshotOf(t), pr = runs[tipPanel.p.run].preds, html = "<b>" + sampleName(j) + "</b>";
      if (indices) html += " <span style='color:#777'>(point " + j + ")</span>";
      if (labels) html += "<br>label: <span style='color:" + color(labels[j]) + "'>■</span> " + escapeHTML(className(labels[j]));
      if (pr) { var v = pr[si * n + j]; html += "<br>prediction: " + escapeHTML(className(v)) + (labels ? (v === labels[j] ? " ✓" : " ✗") : ""); }
      if (rgb) html += "<br>rgb: " + rgb[3 * j] + "," + rgb[3 * j + 1] + "," + rgb[3 * j + 2];
      tip.innerHTML = html;
      if (thumbs) thumbCanvas(j, 3, tip);
      var rr0 = root.getBoundingClientRect();
      tip.style.display = "block";
      tip.style.left = (tipPanel.x - rr0.left + root.scrollLeft + 14) + "px";
      tip.style.top = (tipPanel.y - rr0.top + 14) + "px";
    }
    function savePNG() {
      var all = panels.map(function (p) { return p.canvas; }); confs.forEach(function (cf) { all.push(cf.canvas); });
      var rows = Math.ceil(all.length / cols), out = document.createElement("canvas");
      out.width = cols * SP; out.height = rows * SP;
      var ctx = out.getContext("2d"); ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, out.width, out.height);
      all.forEach(function (cv, k) { ctx.drawImage(cv, (k % cols) * SP, Math.floor(k / cols) * SP); });
      var a = document.createElement("a"); a.href = out.toDataURL("image/png"); a.download = (spec.name || "embviz") + "-frame" + Math.round(t) + ".png";
      document.body.appendChild(a); a.click(); a.remove();
    }
    t = spec.static ? 0 : (spec.start === "last" ? D - 1 : 0);
    render(true);
    var api = {
      play: function () { setPlaying(true); }, pause: function () { setPlaying(false); },
      seek: function (f) { t = Math.max(0, Math.min(D - 1, f)); render(true); },
      frames: D, snapshots: F, points: n, runs: runs.length, k: KN,
      // selection: the selected point indices; select(points, add) and clear() change it
      selection: function () { return Array.prototype.slice.call(selList); },
      select: function (list, add) { select(list, !!add); }, clear: clearSelection,
      setTrail: function (v) { trailSel.value = String(v); render(true); },
      // pin(j, run) shows point j's neighbours (as a click on it in a panel of that run); neighbors() reads them
      pin: function (j, run) { pin = j; nbRun = run || 0; overlayAll(); updateNeighbors(); },
      neighbors: function () {
        var f = pin >= 0 ? pin : hover, kn = f >= 0 ? runs[nbRun].knn : null, si = snapshotOf(t);
        return kn ? { point: f, snapshot: si, run: nbRun, list: Array.prototype.slice.call(kn.subarray((si * n + f) * KN, (si * n + f + 1) * KN)) } : null;
      },
      resetStats: function () { stats = { draws: [], stamps: [] }; },
      stats: function () {
        var d = stats.draws.slice().sort(function (a, b) { return a - b; }), s = stats.stamps, el = s.length > 1 ? (s[s.length - 1] - s[0]) / 1000 : 0;
        var sum = 0; d.forEach(function (x) { sum += x; });
        return { frames: d.length, meanDrawMs: d.length ? sum / d.length : 0, p95DrawMs: d.length ? d[Math.floor(d.length * 0.95)] : 0, maxDrawMs: d.length ? d[d.length - 1] : 0, fps: el > 0 ? (s.length - 1) / el : 0, seconds: el };
      }
    };
    players[root.id] = api;
    return api;
  }

  // ---------------------------------------------------------------- scatter matrix (canvas)
  function ScatterMatrix(root, spec) {
    var n = spec.n, d = spec.d, cs = spec.cell || Math.max(70, Math.min(140, Math.floor(640 / d)));
    var dpr = Math.max(1, Math.min(2, window.devicePixelRatio || 1)), P = Math.round(cs * dpr);
    var u = b64(spec.data), v = new Float32Array(n * d);
    for (var k = 0; k < n * d; k++) v[k] = (u[2 * k] | (u[2 * k + 1] << 8)) / 65535;
    var labels = spec.labels ? ints(spec.labels, spec.lbytes, n) : null, C = spec.classNames ? spec.classNames.length : 1;
    if (labels) for (var i = 0; i < n; i++) C = Math.max(C, labels[i] + 1);
    var hidden = new Uint8Array(C);
    if (spec.title) el("div", { cls: "evz-title", text: spec.title }, root);
    if (labels) {
      var legend = el("div", { cls: "evz-legend" }, root);
      for (var c = 0; c < C; c++) (function (c) {
        var sp = el("span", null, legend); el("i", { style: "background:" + color(c) }, sp);
        sp.appendChild(document.createTextNode(spec.classNames && spec.classNames[c] !== undefined ? spec.classNames[c] : String(c)));
        sp.addEventListener("click", function () { hidden[c] ^= 1; sp.className = hidden[c] ? "off" : ""; draw(); });
      })(c);
    }
    var grid = el("table", { style: "border-collapse:collapse" }, root), canv = [];
    for (var r = -1; r < d; r++) {
      var tr = el("tr", null, grid);
      for (var cc = -1; cc < d; cc++) {
        var td = el("td", { style: "padding:1px;text-align:center;font-size:11px" }, tr);
        if (r < 0 && cc >= 0) td.textContent = spec.dims[cc];
        else if (cc < 0 && r >= 0) { td.textContent = spec.dims[r]; td.style.cssText += ";writing-mode:vertical-rl;transform:rotate(180deg)"; }
        else if (r >= 0) { var cv = el("canvas", { width: P, height: P, style: "width:" + cs + "px;height:" + cs + "px" }, td); canv.push({ r: r, c: cc, ctx: cv.getContext("2d") }); }
      }
    }
    function draw() {
      canv.forEach(function (q) {
        var ctx = q.ctx; ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, P, P);
        var pad = 3 * dpr, s = P - 2 * pad;
        if (q.r === q.c) {
          var B = 30, dimI = q.r, curves = [], ymax = 0;
          for (var c = 0; c < C; c++) {
            if (hidden[c]) { curves.push(null); continue; }
            var h = new Float32Array(B), cnt = 0;
            for (var i = 0; i < n; i++) { if (labels && labels[i] !== c) continue; if (!labels && c > 0) continue; cnt++; var x = v[i * d + dimI];
              if (spec.diag === "kde") { for (var b = 0; b < B; b++) { var z = (x - (b + 0.5) / B) / 0.06; h[b] += Math.exp(-0.5 * z * z); } } else h[Math.min(B - 1, Math.floor(x * B))]++; }
            curves.push(h); for (var b2 = 0; b2 < B; b2++) ymax = Math.max(ymax, h[b2]);
          }
          curves.forEach(function (h, c) {
            if (!h) return; ctx.beginPath();
            for (var b = 0; b < B; b++) { var X = pad + (b + 0.5) / B * s, Y = pad + s - h[b] / (ymax || 1) * s; if (b) ctx.lineTo(X, Y); else ctx.moveTo(X, Y); }
            ctx.strokeStyle = labels ? color(c) : "#1f77b4"; ctx.lineWidth = 1.2 * dpr; ctx.stroke();
          });
        } else {
          var r2 = Math.max(1, Math.round(1.5 * dpr));
          for (var j = 0; j < n; j++) {
            var l = labels ? labels[j] : 0; if (labels && hidden[l]) continue;
            ctx.fillStyle = color(l);
            ctx.fillRect(pad + v[j * d + q.c] * s, pad + (1 - v[j * d + q.r]) * s, r2, r2);
          }
        }
        ctx.strokeStyle = "#ddd"; ctx.strokeRect(0.5, 0.5, P - 1, P - 1);
      });
    }
    draw();
    return {};
  }

  function mount(root, spec) {
    try {
      switch (spec.kind) {
        case "chart": return Chart(root, spec);
        case "heatmap": return Heatmap(root, spec);
        case "player": return Player(root, spec);
        case "scattermatrix": return ScatterMatrix(root, spec);
        case "grid": {
          if (spec.title) el("div", { cls: "evz-title", text: spec.title }, root);
          var g = el("div", { cls: "evz-grid", style: "grid-template-columns:repeat(" + (spec.cols || 2) + ",max-content)" }, root);
          return (spec.items || []).map(function (it) { return mount(el("div", { cls: "evz-panel" }, g), it); });
        }
        default: throw new Error("unknown kind " + spec.kind);
      }
    } catch (e) {
      errorBox(root, e && e.message ? e.message : String(e));
      if (window.console) console.error(e);
      return null;
    } finally {
      root.setAttribute("data-mounted", "1");
      var poster = root.parentNode && root.parentNode.querySelector ? root.parentNode.querySelector(".evz-poster[data-for='" + root.id + "']") : null;
      if (poster) poster.style.display = "none";
    }
  }
  function mountRoot(root) {
    if (!root || root.getAttribute("data-mounted")) return;
    var id = root.id, data = (root.parentNode && root.parentNode.querySelector("[id='" + id + "-data']")) || document.getElementById(id + "-data");
    if (!data) { errorBox(root, "data for " + id + " not found"); root.setAttribute("data-mounted", "1"); return; }
    var spec;
    try { spec = JSON.parse(data.textContent); } catch (e) { errorBox(root, "bad data: " + e.message); root.setAttribute("data-mounted", "1"); return; }
    mount(root, spec);
  }
  function mountById(id) { mountRoot(document.getElementById(id)); }
  // codec: the decoders of the player's binary fields, for vizlib's tests (node).
  window.embviz = { version: VERSION, mount: mount, mountRoot: mountRoot, mountById: mountById, players: players, color: color,
    codec: { inflate: inflate, knn: decodeKnn, coords: decodeCoords, preds: decodePreds, indices: decodeIndices, thumbs: decodeThumbs, ints: ints, unz: unz } };
})();

/* Podium site script: charts (light/dark), the sortable/filterable leaderboard, the gallery and the compare page.
 * Subscribed to Material's document$ so it works with instant navigation. Never inserts data as HTML: every
 * string goes through textContent or setAttribute. */
(function () {
  "use strict";
  var SELF = document.currentScript ? document.currentScript.src : null;  // resolved once, before any navigation

  // ------------------------------------------------------------------ helpers
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") el.textContent = attrs[k]; else if (attrs[k] !== null && attrs[k] !== undefined) el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return el;
  }
  function pct(x) { return x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%"; }
  function getJSON(url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status + " for " + url); return r.json(); });
  }
  function hashParams() { return new URLSearchParams(location.hash.replace(/^#/, "")); }
  // the page's state in the URL's hash. push: a new history entry (Back returns to the state before); else the
  // current entry is rewritten. pushState and replaceState fire no hashchange or popstate, so this never loops. A new
  // entry holds the scroll offset, as Material's instant navigation keeps it (it scrolls there on Back/Forward; on an
  // entry without a state it would re-navigate to the hash instead).
  function setHash(state, push) {
    var p = new URLSearchParams();
    Object.keys(state).forEach(function (k) {
      var v = state[k];
      if (v !== undefined && v !== null && v !== "" && !(k === "page" && +v === 0) && !(k === "filter" && v === "all")) p.set(k, String(v));
    });
    var hash = "#" + p.toString();
    if (hash === (location.hash || "#")) return;  // unchanged: no entry to add or rewrite
    if (push) history.pushState({ x: window.scrollX, y: window.scrollY }, "", hash);
    else history.replaceState(history.state, "", hash);
  }

  // ------------------------------------------------------------------ charts
  function dark() { return document.body.getAttribute("data-md-color-scheme") === "slate"; }

  // Vega, Vega-Lite and Vega-Embed (~830 KB) are loaded only on a page that has a chart, once, in order
  var vegaLoad = null;
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = h("script", { src: src });
      s.onload = resolve; s.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    });
  }
  function loadVega() {
    if (window.vegaEmbed) return Promise.resolve();
    if (!vegaLoad) {
      var base = new URL(SELF || "assets/podium.js", document.baseURI);
      vegaLoad = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"].reduce(function (p, f) {
        return p.then(function () { return loadScript(new URL("vendor/" + f, base).href); });
      }, Promise.resolve());
    }
    return vegaLoad;
  }

  function renderCharts(force) {
    if (!document.querySelector(".vega-chart")) return;
    loadVega().then(function () { drawCharts(force); }, function (err) {
      document.querySelectorAll(".vega-chart").forEach(function (el) { el.textContent = "Chart failed to load: " + err.message; });
    });
  }
  function drawCharts(force) {
    document.querySelectorAll(".vega-chart").forEach(function (el) {
      var scheme = dark() ? "dark" : "light";
      if (!force && el.getAttribute("data-done") === scheme) return;
      el.setAttribute("data-done", scheme);
      var url = new URL(el.getAttribute("data-src"), document.baseURI);
      getJSON(url).then(function (spec) {
        el.__spec = spec;
        return embed(el);
      }).catch(function (err) { el.textContent = "Chart failed to load: " + err.message; });
    });
  }
  function embed(el) {
    var spec = el.__spec, opts = { actions: false, renderer: "svg" };
    if (el.hasAttribute("data-follow")) spec = followFilter(spec, chartFilter);
    else spec = Object.assign({}, spec);
    el.textContent = "";
    // names are shortened only when the chart is too narrow to hold them: limits follow the chart's width
    var w = el.clientWidth || 600;
    opts.config = { legend: { labelLimit: Math.max(80, Math.round(w * 0.55)), titleLimit: Math.max(80, Math.round(w * 0.55)),
        symbolOpacity: 1, layout: { bottom: { direction: "vertical", anchor: "start" } } },  // legends below the plot, one under another
      axisY: { labelLimit: Math.max(60, Math.round(w * 0.3)) }, title: { limit: Math.max(120, w - 20) } };
    if (dark()) { opts.theme = "dark"; opts.config.text = { color: "#e0e0e0" }; spec.background = "transparent"; }
    // Vega-Lite cannot give a faceted chart's panels the container's width: it draws them at a default width and
    // the browser shrinks the whole picture, text included, to fit. Draw once, then widen or narrow the panels by
    // what the chart missed the container by, so it is drawn at the container's width and its text at full size.
    var faceted = spec.facet && spec.spec && spec.spec.width === "container";
    if (faceted) spec.spec = Object.assign({}, spec.spec, { width: Math.max(120, w - 160) });
    return vegaEmbed(el, spec, opts).then(function (res) {
      var svg = el.querySelector("svg"), got = svg ? parseFloat(svg.getAttribute("width")) : w;
      if (!faceted || Math.abs(got - w) < 2) return res;
      res.finalize();
      spec.spec.width = Math.max(120, spec.spec.width + w - got);
      el.textContent = "";
      return vegaEmbed(el, spec, opts);
    });
  }
  // a chart marked data-follow shows only the leaderboard rows (models) and columns (suites) the filters leave
  var chartFilter = null, refilterTimer = null;
  function followFilter(spec, f) {
    var out = Object.assign({}, spec);
    if (!f || !spec.datasets) return out;
    out.datasets = {};
    Object.keys(spec.datasets).forEach(function (k) {
      out.datasets[k] = spec.datasets[k].filter(function (d) {
        return (d.model === undefined || f.models[d.model]) && (d.suite === undefined || !f.hiddenSuites[d.suite]);
      });
    });
    return out;
  }
  function setChartFilter(f) {
    chartFilter = f;
    clearTimeout(refilterTimer);
    refilterTimer = setTimeout(function () {
      document.querySelectorAll(".vega-chart[data-follow]").forEach(function (el) { if (el.__spec) embed(el); });
    }, 150);
  }
  var paletteObserver = null;
  function watchPalette() {
    if (paletteObserver) return;
    paletteObserver = new MutationObserver(function () { renderCharts(true); });
    paletteObserver.observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  }

  // ------------------------------------------------------------------ leaderboard: sort + filter
  function sortValue(td, type) {
    var v = td ? td.getAttribute("data-sort") : null;
    if (v === null || v === "") return null;
    return type === "num" ? parseFloat(v) : v.toLowerCase();
  }

  function Leaderboard(table) {
    this.table = table;
    this.tbody = table.tBodies[0];
    this.heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    this.dir = {};
    var self = this;
    this.heads.forEach(function (th, i) {
      var label = th.textContent.trim();
      var b = h("button", { type: "button", "class": "podium-sort", "aria-label": "sort by " + label, text: "⇅" });
      b.addEventListener("click", function () { self.sort(i); });
      th.appendChild(b);
    });
  }
  Leaderboard.prototype.sort = function (i) {
    var th = this.heads[i], type = th.getAttribute("data-type") || "num";
    var asc = this.dir[i] === undefined ? type === "text" || i === 0 : !this.dir[i];
    this.dir = {}; this.dir[i] = asc;
    this.heads.forEach(function (x) { x.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(this.tbody.rows);
    rows.sort(function (a, b) {
      var x = sortValue(a.cells[i], type), y = sortValue(b.cells[i], type);
      if (x === null && y === null) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    var tb = this.tbody;
    rows.forEach(function (r) { tb.appendChild(r); });
  };
  Leaderboard.prototype.filter = function (f) {
    Array.prototype.forEach.call(this.tbody.rows, function (r) {
      var p = parseFloat(r.getAttribute("data-params"));
      var ok = (!f.kind || r.getAttribute("data-kind") === f.kind) &&
        (!f.family || r.getAttribute("data-family") === f.family) &&
        (f.min === "" || (!isNaN(p) && p >= +f.min)) && (f.max === "" || (!isNaN(p) && p <= +f.max)) &&
        (!f.q || r.cells[1].textContent.toLowerCase().indexOf(f.q.toLowerCase()) >= 0);
      r.hidden = !ok;
    });
    this.table.querySelectorAll("[data-protocol]").forEach(function (c) {
      c.hidden = !!f.protocol && c.getAttribute("data-protocol") !== f.protocol;
    });
    var shown = Array.prototype.filter.call(this.tbody.rows, function (r) { return !r.hidden; }).length;
    return shown;
  };

  function initLeaderboard() {
    var table = document.getElementById("podium-leaderboard"), box = document.getElementById("podium-filters");
    if (!table || table.getAttribute("data-done")) return;
    table.setAttribute("data-done", "1");
    var lb = new Leaderboard(table);
    if (!box) return;
    var st = { kind: "", family: "", min: "", max: "", protocol: "", q: "" };
    function sel(label, key, options) {
      var s = h("select", { "aria-label": label });
      options.forEach(function (o) { s.appendChild(h("option", { value: o[0], text: o[1] })); });
      s.addEventListener("change", function () { st[key] = s.value; apply(); });
      return h("label", {}, [label + " ", s]);
    }
    function num(label, key) {
      var i = h("input", { type: "number", min: "0", step: "any", "aria-label": label, placeholder: label, size: "6" });
      i.addEventListener("input", function () { st[key] = i.value; apply(); });
      return h("label", {}, [i]);
    }
    var fams = (box.getAttribute("data-families") || "").split("|").filter(Boolean);
    var q = h("input", { type: "search", placeholder: "model name", "aria-label": "filter by model name" });
    q.addEventListener("input", function () { st.q = q.value; apply(); });
    var count = h("span", { "class": "podium-count", "aria-live": "polite" });
    box.textContent = "";
    [q, sel("weights", "kind", [["", "open + API"], ["open", "open weights"], ["api", "API"]]),
      sel("family", "family", [["", "all families"]].concat(fams.map(function (f) { return [f, f]; }))),
      h("span", {}, ["size (B) ", num("min B", "min"), " – ", num("max B", "max")]),
      sel("protocol", "protocol", [["", "all protocols"], ["loglikelihood", "loglikelihood"], ["generative", "generative"]]),
      count].forEach(function (c) { box.appendChild(c); });
    function apply() {
      var n = lb.filter(st), f = { models: {}, hiddenSuites: {} };
      count.textContent = n + (n === 1 ? " model" : " models");
      Array.prototype.forEach.call(lb.tbody.rows, function (r) { if (!r.hidden) f.models[r.cells[1].getAttribute("data-sort")] = true; });
      table.querySelectorAll("thead th[data-protocol]").forEach(function (th) {
        var a = th.querySelector("a"), m = a && /suites\/([^/]+)\//.exec(a.getAttribute("href"));
        if (th.hidden && m) f.hiddenSuites[decodeURIComponent(m[1])] = true;
      });
      setChartFilter(f);
    }
    apply();
  }

  // ------------------------------------------------------------------ gallery
  var PAGE = 10;

  function Gallery(root) {
    this.root = root;
    this.base = new URL(root.getAttribute("data-index"), document.baseURI);
    this.cache = {};
  }
  Gallery.prototype.get = function (rel) {
    if (!this.cache[rel]) {
      var p = getJSON(new URL(rel, this.base));
      p.then(function (v) { p.value = v; }, function () {});
      this.cache[rel] = p;
    }
    return this.cache[rel];
  };
  Gallery.prototype.readHash = function () {
    var p = hashParams();
    this.state = { suite: p.get("suite") || "", models: p.get("models") || "", filter: p.get("filter") || "all",
      page: +(p.get("page") || 0) || 0, q: p.get("q") || "", item: p.get("item") || "" };
  };
  Gallery.prototype.start = function () {
    var self = this;
    this.path = location.pathname;
    this.gen = 0;        // the latest suite load: an older one that resolves later draws nothing
    this.push = false;   // the next draw adds a history entry (a selection made on the page)
    this.shown = null;   // the hash of the view on screen
    this.fromUrl = false;  // the next draw shows the URL's hash: it leaves the URL as it is
    this.get("index.json").then(function (index) {
      self.index = index;
      self.readHash();
      self.loadSuite();
      // Back/Forward and a hash typed or linked: the view follows the URL. Browsers fire popstate, hashchange or
      // both (and Material's instant navigation moves between same-page entries with pushState): both are heard,
      // and a hash already on screen (this page's own update) is ignored, so nothing re-renders twice or loops.
      var onHash = function () {
        if (!self.root.isConnected) {  // instant navigation replaced the page: this gallery is gone
          window.removeEventListener("popstate", onHash); window.removeEventListener("hashchange", onHash); return;
        }
        if (location.pathname !== self.path || location.hash === self.shown) return;
        self.shown = location.hash;
        self.push = false;
        self.fromUrl = true;
        self.readHash();
        self.loadSuite();
      };
      window.addEventListener("popstate", onHash);
      window.addEventListener("hashchange", onHash);
    }).catch(function (err) { self.root.textContent = "Gallery index failed to load: " + err.message; });
  };
  // a selection made on the page: a new history entry, so that Back returns to the view before it
  Gallery.prototype.change = function (reload) {
    this.push = true; this.fromUrl = false;
    if (reload) this.loadSuite(); else this.draw();
  };
  Gallery.prototype.loadSuite = function () {
    var self = this, st = this.state, suites = this.index.suites, gen = ++this.gen;
    if (!suites.length) { this.root.textContent = "No runs yet."; return; }
    if (!suites.some(function (s) { return s.id === st.suite; })) st.suite = suites[0].id;
    Promise.all([this.get(st.suite + "/index.json"), this.get(st.suite + "/ids.json")]).then(function (got) {
      if (gen !== self.gen) return null;
      var si = got[0];
      si.ids = got[1];
      self.si = si;
      var want = st.models.split(",").filter(Boolean), byId = {};
      si.models.forEach(function (m) { byId[m.id] = m; });
      var ms = want.filter(function (id, i) { return byId[id] && want.indexOf(id) === i; }).map(function (id) { return byId[id]; });  // in the URL's order
      if (!ms.length) ms = si.models.slice().sort(function (a, b) { return (b.value || 0) - (a.value || 0); }).slice(0, 3);
      self.models = ms;
      return Promise.all(ms.map(function (m) { return self.get(st.suite + "/m/" + m.id + ".json"); }));
    }).then(function (status) {
      if (gen !== self.gen || !status) return;
      self.status = status;
      self.draw();
    }).catch(function (err) { self.push = false; self.root.textContent = "Gallery data failed to load: " + err.message; });
  };
  Gallery.prototype.shardOf = function (pos) {
    var s = this.si.starts, lo = 0, hi = s.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (s[mid] <= pos) lo = mid; else hi = mid - 1; }
    return lo;
  };
  // an item range: its questions in shard-NNNN.json, each model's outputs in o/<model>/NNNN.json
  Gallery.prototype.rangeFile = function (k, mid) {
    var n = ("000" + k).slice(-4);
    return this.state.suite + (mid ? "/o/" + mid + "/" + n : "/shard-" + n) + ".json";
  };
  Gallery.prototype.merge = function (pos, k, q, outs) {  // the item with the outputs of the models on screen
    var item = Object.assign({}, q[pos - this.si.starts[k]]), self = this;
    item.models = {};
    this.models.forEach(function (m, j) { var o = outs[j]; if (o && o[pos - self.si.starts[k]]) item.models[m.id] = o[pos - self.si.starts[k]]; });
    return item;
  };
  Gallery.prototype.loadedItem = function (pos) {  // the item if its files are already here (for text search)
    var k = this.shardOf(pos), self = this, q = this.cache[this.rangeFile(k)];
    if (!q || !q.value) return null;
    return this.merge(pos, k, q.value, this.models.map(function (m) { var p = self.cache[self.rangeFile(k, m.id)]; return p && p.value; }));
  };
  Gallery.prototype.item = function (pos) {
    var self = this, k = this.shardOf(pos);
    var outs = this.models.map(function (m, j) {  // a model that did not run the item has no file to fetch
      return self.status[j].s.charAt(pos) === "-" ? Promise.resolve(null) : self.get(self.rangeFile(k, m.id));
    });
    return Promise.all([this.get(this.rangeFile(k))].concat(outs)).then(function (got) {
      return self.merge(pos, k, got[0], got.slice(1));
    });
  };
  Gallery.prototype.rows = function () {
    var st = this.state, ids = this.si.ids, status = this.status, q = st.q.toLowerCase(), self = this;
    var out = [];
    for (var pos = 0; pos < ids.length; pos++) {
      if (st.item) { if (ids[pos] === st.item) out.push(pos); continue; }
      var marks = status.map(function (s) { return s.s.charAt(pos); });
      if (marks.every(function (c) { return c === "-"; })) continue;
      var graded = marks.filter(function (c) { return c === "1" || c === "0" || c === "p"; });
      var f = st.filter;
      if (f === "pass" && !(graded.length && graded.every(function (c) { return c === "1"; }))) continue;
      if (f === "fail" && !(graded.length && graded.every(function (c) { return c === "0"; }))) continue;
      if (f === "disagree" && !(graded.length > 1 && graded.some(function (c) { return c !== graded[0]; }))) continue;
      if (f === "ungraded" && marks.indexOf("?") < 0) continue;
      if (q) {
        if (ids[pos].toLowerCase().indexOf(q) < 0) {
          var it = self.loadedItem(pos);
          if (!it || JSON.stringify(it).toLowerCase().indexOf(q) < 0) continue;
        }
      }
      out.push(pos);
    }
    return out;
  };
  Gallery.prototype.controls = function (total) {
    var self = this, st = this.state, si = this.si;
    var suiteSel = h("select", { "aria-label": "suite" });
    this.index.suites.forEach(function (s) {
      var o = h("option", { value: s.id, text: s.name + " (" + s.items + " items)" }); if (s.id === st.suite) o.selected = true; suiteSel.appendChild(o);
    });
    suiteSel.onchange = function () { st.suite = suiteSel.value; st.models = ""; st.page = 0; st.item = ""; self.change(true); };
    var picked = this.models.map(function (m) { return m.id; });
    var boxes = h("details", { "class": "podium-models" }, [h("summary", { text: "models (" + picked.length + " of " + si.models.length + ")" })]);
    si.models.forEach(function (m) {
      var cb = h("input", { type: "checkbox", value: m.id }); cb.checked = picked.indexOf(m.id) >= 0;
      cb.onchange = function () {
        var on = Array.prototype.slice.call(boxes.querySelectorAll("input:checked")).map(function (x) { return x.value; });
        st.models = picked.filter(function (id) { return on.indexOf(id) >= 0; })  // the columns keep their order
          .concat(on.filter(function (id) { return picked.indexOf(id) < 0; })).join(",");
        st.page = 0; self.change(true);
      };
      boxes.appendChild(h("label", {}, [cb, " " + m.name + (m.partial ? " (first " + m.n + " of " + m.total + ")" : "")]));
    });
    var filters = [["all", "all items"], ["pass", "all correct"], ["fail", "all wrong"], ["disagree", "models disagree"], ["ungraded", "ungraded"]];
    var filt = h("select", { "aria-label": "filter" });
    filters.forEach(function (p) { var o = h("option", { value: p[0], text: p[1] }); if (p[0] === st.filter) o.selected = true; filt.appendChild(o); });
    filt.onchange = function () { st.filter = filt.value; st.page = 0; self.change(); };
    var picker = null;
    if (si.scenarios && si.scenarios.length) {
      picker = h("select", { "aria-label": "scenario" });
      picker.appendChild(h("option", { value: "", text: "all scenarios" }));
      si.scenarios.forEach(function (sc) {
        var o = h("option", { value: sc.id + "/", text: sc.title + " (" + sc.id + ")" }); if (st.q === sc.id + "/") o.selected = true; picker.appendChild(o);
      });
      picker.onchange = function () { st.q = picker.value; st.page = 0; self.change(); };
    }
    var search = h("input", { type: "search", placeholder: "search ids, text", title: "searches item ids, and the text of the pages already loaded", value: st.q, "aria-label": "search item ids and loaded text" });
    search.onchange = function () { st.q = search.value; st.page = 0; self.change(); };
    var pages = Math.max(1, Math.ceil(total / PAGE));
    var prev = h("button", { type: "button", text: "‹ prev" }), next = h("button", { type: "button", text: "next ›" });
    prev.disabled = st.page <= 0; next.disabled = st.page >= pages - 1;
    prev.onclick = function () { st.page -= 1; self.change(); };
    next.onclick = function () { st.page += 1; self.change(); };
    var info = h("span", { "class": "podium-pageinfo", text: total + " items · page " + (st.page + 1) + " / " + pages });
    var all = null;
    if (st.item) { all = h("button", { type: "button", text: "show all items" }); all.onclick = function () { st.item = ""; self.change(); }; }
    return h("div", { "class": "podium-gallery-controls" }, [suiteSel, picker, boxes, filt, search, all, h("span", { "class": "podium-pager" }, [prev, info, next])]);
  };

  function outputBlock(o, many) {
    var box = h("div", { "class": "podium-output" });
    var d = o.detail || {};
    var label = [];
    if (many) label.push("sample " + (o.i + 1));
    if (d.kind === "code") label.push(d.verdict);
    if (label.length) box.appendChild(h("div", { "class": "podium-mark", text: label.join(" · ") }));
    if (o.error) box.appendChild(h("pre", { "class": "podium-out", text: "[request failed] " + o.error }));
    if (d.kind === "code" && !o.error) {
      var code = h("code", { "class": "language-python", text: d.code });
      box.appendChild(h("pre", { "class": "podium-out" }, [code]));
      highlight(code);
      if (d.error_line) box.appendChild(h("div", { "class": "podium-n", text: d.error_line }));
    } else if (!o.transcript) {
      box.appendChild(h("pre", { "class": "podium-out", text: o.text }));
    }
    if (d.kind === "choice") box.appendChild(h("div", { "class": "podium-n", text: "picked " + "ABCDEFGH".charAt(d.picked) +
      (d.picked_norm !== null && d.picked_norm !== undefined ? " (length-normalised: " + "ABCDEFGH".charAt(d.picked_norm) + ")" : "") +
      " · log-likelihoods " + d.ll.map(function (x) { return x === null ? "failed" : x; }).join(", ") }));
    if (d.kind === "parsed_choice") box.appendChild(h("div", { "class": "podium-n", text: "parsed: " + (d.parsed === null ? "nothing" : d.parsed) }));
    if (d.kind === "numeric") box.appendChild(h("div", { "class": "podium-n", text: "strict: " + (d.strict === null ? "–" : d.strict) + " · flexible: " + (d.flexible === null ? "–" : d.flexible) }));
    if (d.kind === "scenario") box.appendChild(h("div", { "class": "podium-n", text: [d.protocol, d.trial === 0 ? "greedy" : "trial " + d.trial, d.sampling, d.turns + " request(s)"].join(" · ") }));
    if (o.transcript) box.appendChild(renderTurns(o.transcript));
    if (o.grades && o.grades.length) box.appendChild(renderGrades(o.grades));
    if (o.explanation) box.appendChild(h("details", {}, [h("summary", { text: "grader explanation" }), h("pre", { "class": "podium-n podium-detail", text: o.explanation })]));
    return box;
  }

  function turnLabel(t) {
    if (t.role === "tool") return "tool result" + (t.name ? " · " + t.name : "") + (t.tool_call_id ? " (" + t.tool_call_id + ")" : "");
    if (t.role === "user" && t.name === "tool_results") return "user · tool results fed back";
    return t.role + (t.name ? " · " + t.name : "");
  }
  // highlight.js (escapes the text it colours) is loaded only when the gallery first shows code
  var hljsLoad = null;
  function highlight(code) {
    if (!hljsLoad) {
      var base = new URL(SELF || "assets/podium.js", document.baseURI);
      hljsLoad = new Promise(function (resolve) {
        var css = h("link", { rel: "stylesheet", href: new URL("vendor/github.min.css", base).href });
        var s = h("script", { src: new URL("vendor/highlight.min.js", base).href });
        s.onload = resolve; s.onerror = resolve;
        document.head.appendChild(css); document.head.appendChild(s);
      });
    }
    hljsLoad.then(function () { if (window.hljs && code.isConnected) window.hljs.highlightElement(code); });
  }

  // one tool call of a transcript, as text: "→ call name {arguments}". A call that could not be read (no function
  // name, or arguments that are not a JSON object) is labelled so, with the arguments as the model wrote them when
  // there are any (an unreadable "Action:" reply is stored with name "" and arguments "{}": nothing to show) and why.
  function callText(c) {
    var name = (c.name || "").trim(), args = (c.arguments || "").trim(), bad = !name || !!c.error;
    if (bad && args === "{}") args = "";
    var out = "→ " + (name ? "call " + name : "unreadable tool call") + (args ? (name ? " " : ": ") + args : "");
    if (c.error) out += (name ? " — unreadable: " : " — ") + c.error;
    return out + (c.id ? "  [" + c.id + "]" : "");
  }
  function renderTurns(turns) {
    var box = h("div", { "class": "podium-transcript" });
    turns.forEach(function (t) {
      var turn = h("div", { "class": "podium-turn podium-turn-" + t.role }, [h("div", { "class": "podium-turn-role", text: turnLabel(t) })]);
      if (t.content) turn.appendChild(h("pre", { "class": "podium-out", text: t.content }));
      (t.tool_calls || []).forEach(function (c) { turn.appendChild(h("div", { "class": "podium-call", text: callText(c) })); });
      box.appendChild(turn);
    });
    return box;
  }
  function renderGrades(grades) {
    var list = h("ul", { "class": "podium-grades" });
    grades.forEach(function (g) {
      var mark = g.passed === true ? "✓ " : g.passed === false ? "✗ " : "? ";
      var score = g.score === null || g.score === undefined ? "ungraded" : g.score.toFixed(2);
      var li = h("li", {}, [h("span", { text: mark + g.grader + " " + score + " — " + g.explanation })]);
      if (g.judge_model) li.appendChild(h("div", { "class": "podium-n", text: "judge: " + g.judge_model }));
      if (g.judge_raw) li.appendChild(h("details", {}, [h("summary", { text: "judge's raw reply" }), h("pre", { "class": "podium-out", text: g.judge_raw })]));
      list.appendChild(li);
    });
    return list;
  }

  Gallery.prototype.card = function (pos) {
    var self = this, id = this.si.ids[pos], card = h("div", { "class": "podium-item", id: "item-" + id });
    var link = h("a", { href: "#" + new URLSearchParams({ suite: this.state.suite, models: this.models.map(function (m) { return m.id; }).join(","), item: id }).toString(), text: "¶", title: "link to this item" });
    link.addEventListener("click", function (ev) {  // shown here, as a new history entry (a modified click opens a tab)
      if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
      ev.preventDefault(); ev.stopPropagation();  // instant navigation would change the URL without a hashchange
      self.state.item = id; self.state.page = 0; self.change();
    });
    card.appendChild(h("h3", {}, [id + " ", link]));
    var head = h("div", { "class": "podium-question" });
    card.appendChild(head);
    var cols = h("div", { "class": "podium-cols" });
    card.appendChild(cols);
    this.item(pos).then(function (item) {
      if (item.text) {
        head.appendChild(h("pre", { "class": "podium-out podium-q", text: item.text.question }));
        var tx = item.text, L = "ABCDEFGH";
        // a question that already lists its lettered options ("A. …") is not followed by them a second time
        var listed = tx.choices.length && tx.choices.every(function (c, i) { return tx.question.indexOf(L.charAt(i) + ". " + c) >= 0; });
        if (tx.choices.length && !listed) {
          var ol = h("ol", { "class": "podium-choices", type: "A" });
          tx.choices.forEach(function (c, i) { ol.appendChild(h("li", { "class": i === tx.gold ? "gold" : "", text: c + (i === tx.gold ? "  ✓ (reference)" : "") })); });
          head.appendChild(ol);
        }
        var ref = listed && tx.gold !== null && tx.gold !== undefined ? L.charAt(tx.gold) + ". " + tx.choices[tx.gold] : tx.reference;
        if (ref.indexOf("\n") >= 0) {  // code (a canonical solution): monospace, indentation kept
          var rc = h("code", { "class": "language-python", text: ref });
          head.appendChild(h("div", { "class": "podium-reference", text: "Reference:" }));
          head.appendChild(h("pre", { "class": "podium-out podium-code" }, [rc]));
          highlight(rc);
        } else head.appendChild(h("p", { "class": "podium-reference", text: "Reference: " + ref }));
      } else if (item.prompt) {
        if (typeof item.prompt === "string") head.appendChild(h("pre", { "class": "podium-out podium-q", text: item.prompt }));
        else head.appendChild(renderTurns(item.prompt));
      }  // without question text the page says once, at the top, how to get it (si.hint)
      self.models.forEach(function (m, k) {
        var mark = self.status[k].s.charAt(pos);
        var col = h("div", { "class": "podium-col " + ({ "1": "pass", "0": "fail", "p": "partly", "?": "ungraded" }[mark] || "") }, [h("strong", { text: m.name })]);
        cols.appendChild(col);
        var e = item.models[m.id];
        if (!e) { col.appendChild(h("p", { text: "not evaluated on this item" })); return; }
        var sc = Object.keys(e.scores).map(function (key) { return key + " " + (+e.scores[key]).toFixed(2); }).join(" · ");
        col.appendChild(h("div", { "class": "podium-mark", text: ({ "1": "✓ ", "0": "✗ ", "p": "◐ ", "?": "? " }[mark] || "") + sc }));
        if (e.n !== undefined) col.appendChild(h("div", { "class": "podium-n", text: "solved by " + e.c + " of " + e.n + " samples; showing " + e.outputs.length + " (the first few, then passing ones with code not shown yet)" }));
        e.outputs.forEach(function (o) { col.appendChild(outputBlock(o, e.outputs.length > 1 || e.n !== undefined)); });
      });
    }).catch(function (err) { cols.appendChild(h("p", { text: "failed to load: " + err.message })); });
    return card;
  };
  Gallery.prototype.draw = function () {
    var st = this.state, rows = this.rows();
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    st.page = Math.min(Math.max(0, st.page), pages - 1);
    st.models = this.models.map(function (m) { return m.id; }).join(",");
    // a view drawn from a hash the browser moved to (Back/Forward, typed) leaves it as it is: rewriting it then would
    // race Material's own re-navigation to that hash and add an entry
    if (!this.fromUrl) setHash(st, this.push);
    this.push = this.fromUrl = false;
    this.shown = location.hash;
    this.root.textContent = "";
    this.root.appendChild(this.controls(rows.length));
    var self = this;
    rows.slice(st.page * PAGE, (st.page + 1) * PAGE).forEach(function (pos) { self.root.appendChild(self.card(pos)); });
  };

  // ------------------------------------------------------------------ compare
  function mcnemar(b, c) {  // exact two-sided: 2 · P(X ≤ min(b, c)), X ~ Binomial(b + c, 1/2), in log space
    var n = b + c;
    if (n === 0) return 1;
    var k = Math.min(b, c), lt = -n * Math.LN2, terms = [lt];
    for (var i = 0; i < k; i++) { lt += Math.log(n - i) - Math.log(i + 1); terms.push(lt); }
    var mx = Math.max.apply(null, terms), s = 0;
    terms.forEach(function (t) { s += Math.exp(t - mx); });
    return Math.min(1, 2 * Math.exp(mx + Math.log(s)));
  }
  function rng(seed) { return function () { seed |= 0; seed = seed + 0x6D2B79F5 | 0; var t = Math.imul(seed ^ seed >>> 15, 1 | seed); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; }; }
  function bootstrap(d, iters) {  // paired bootstrap of the mean difference: [mean, lo, hi, p]
    var n = d.length, mean = d.reduce(function (a, x) { return a + x; }, 0) / n, r = rng(12345), means = [];
    for (var it = 0; it < iters; it++) { var s = 0; for (var j = 0; j < n; j++) s += d[Math.floor(r() * n)]; means.push(s / n); }
    means.sort(function (a, b) { return a - b; });
    var extreme = means.filter(function (m) { return Math.abs(m - mean) >= Math.abs(mean) - 1e-12; }).length;
    return [mean, means[Math.floor(0.025 * iters)], means[Math.floor(0.975 * iters) - 1], Math.min(1, (extreme + 1) / (iters + 1))];
  }
  function fmtP(p) { return p < 0.001 ? p.toExponential(1) : p.toFixed(3); }

  function Compare(root) {
    this.root = root; this.base = new URL(root.getAttribute("data-base"), document.baseURI);
    this.out = root.querySelector(".podium-compare-out");
    this.form = root.querySelector("form");
    this.baselines = JSON.parse(root.getAttribute("data-baselines") || "{}");
  }
  Compare.prototype.start = function () {
    var self = this, p = hashParams(), def = (this.root.getAttribute("data-default") || "").split(",");
    var a = this.form.elements.a, b = this.form.elements.b;
    a.value = p.get("a") || def[0] || a.value; b.value = p.get("b") || def[1] || b.value;
    a.onchange = b.onchange = function () { self.run(); };
    getJSON(new URL("index.json", this.base)).then(function (idx) { self.index = idx; self.run(); })
      .catch(function (err) { self.out.textContent = "Comparison data failed to load: " + err.message; });
  };
  Compare.prototype.run = function () {
    var self = this, a = this.form.elements.a.value, b = this.form.elements.b.value;
    setHash({ a: a, b: b });
    this.out.textContent = "computing…";
    var jobs = this.index.suites.map(function (s) {
      return getJSON(new URL(s.id + "/index.json", self.base)).then(function (si) {
        var ma = si.models.filter(function (m) { return m.id === a; })[0], mb = si.models.filter(function (m) { return m.id === b; })[0];
        if (!ma || !mb) return ma || mb ? { only: s.name + " (" + (ma ? "A" : "B") + " only)" } : null;
        return Promise.all([getJSON(new URL(s.id + "/m/" + a + ".json", self.base)), getJSON(new URL(s.id + "/m/" + b + ".json", self.base))])
          .then(function (v) { return self.suiteRow(s, si, ma, mb, v[0], v[1]); });
      });
    });
    Promise.all(jobs).then(function (rows) {
      var only = rows.filter(function (r) { return r && r.only; }).map(function (r) { return r.only; });
      rows = rows.filter(function (r) { return r && !r.only; });
      self.out.textContent = "";
      if (a === b) { self.out.appendChild(h("p", { text: "Pick two different models." })); }
      var table = h("table", { "class": "podium-table", id: "podium-compare-table" });
      table.appendChild(h("thead", {}, [h("tr", {}, ["Suite", "A (own run)", "B (own run)", "shared items", "A on shared", "B on shared", "A − B on shared", "A better / B better / tie", "test", "p-value", ""].map(function (t) { return h("th", { text: t }); }))]));
      var tb = h("tbody");
      rows.forEach(function (r) { tb.appendChild(r); });
      table.appendChild(tb);
      self.out.appendChild(table);
      if (!rows.length) self.out.appendChild(h("p", { text: "These two models share no suite." }));
      if (only.length) self.out.appendChild(h("p", { "class": "podium-compare-only", text: "Not compared (only one of the two ran it, or ran another protocol of it): " + only.join(", ") + "." }));
    }).catch(function (err) { self.out.textContent = "Comparison failed: " + err.message; });
  };
  Compare.prototype.suiteRow = function (s, si, ma, mb, va, vb) {
    var wins = 0, losses = 0, ties = 0, d = [], n = va.s.length, sa = 0, sb = 0;
    for (var i = 0; i < n; i++) {  // only the items both ran and both got a grade on
      var x = va.s.charAt(i), y = vb.s.charAt(i);
      if (x === "-" || y === "-" || x === "?" || y === "?") continue;
      var xa = va.v ? va.v[i] : (x === "1" ? 1 : 0), yb = vb.v ? vb.v[i] : (y === "1" ? 1 : 0);
      if (xa === null || yb === null) continue;
      if (xa > yb) wins++; else if (xa < yb) losses++; else ties++;
      d.push(xa - yb); sa += xa; sb += yb;
    }
    var test, p;
    if (!d.length) { test = "no shared items"; p = null; }
    else if (va.v) { var bs = bootstrap(d, 2000); test = "paired bootstrap (Δ " + pct(bs[0]) + " [" + pct(bs[1]) + ", " + pct(bs[2]) + "])"; p = bs[3]; }
    else { test = "exact McNemar"; p = mcnemar(wins, losses); }
    var delta = d.length ? (sa - sb) / d.length : null;
    var link = h("a", { href: "../gallery/#" + new URLSearchParams({ suite: s.id, models: ma.id + "," + mb.id, filter: "disagree" }).toString(), text: "disagreeing items" });
    function ci(m) { return m.value === null ? "–" : pct(m.value) + " [" + pct(m.ci[0]) + "–" + pct(m.ci[1]) + "]"; }
    var floor = this.baselines[s.id];
    function own(m) {
      var low = floor !== undefined && m.value !== null && m.value <= floor;
      return h("td", {}, [ci(m), h("br"), h("small", { "class": "podium-n", text: "n=" + m.n + (m.partial ? " of " + m.total : "") }),
        low ? h("small", { "class": "podium-flag podium-flag-floor", title: "no better than its baseline (" + pct(floor) + "): the better of guessing and always giving the most common answer", text: "≤ baseline " + pct(floor) }) : null]);
    }
    return h("tr", { "data-suite": s.id }, [h("td", { text: s.name }), own(ma), own(mb),
      h("td", { "class": "podium-shared", text: String(d.length) }),
      h("td", { text: d.length ? pct(sa / d.length) : "–" }), h("td", { text: d.length ? pct(sb / d.length) : "–" }),
      h("td", { text: delta === null ? "–" : (delta >= 0 ? "+" : "") + (100 * delta).toFixed(1) + " pts" }),
      h("td", { text: wins + " / " + losses + " / " + ties }), h("td", { text: test }),
      h("td", { "class": "podium-p" + (p !== null && p < 0.05 ? " podium-sig" : ""), text: p === null ? "–" : fmtP(p) }), h("td", {}, [link])]);
  };

  // ------------------------------------------------------------------ boot
  function init() {
    renderCharts(false);
    watchPalette();
    initLeaderboard();
    var g = document.getElementById("podium-gallery");
    if (g && !g.getAttribute("data-done")) { g.setAttribute("data-done", "1"); new Gallery(g).start(); }
    var c = document.getElementById("podium-compare");
    if (c && !c.getAttribute("data-done")) { c.setAttribute("data-done", "1"); new Compare(c).start(); }
  }
  window.podiumMcNemar = mcnemar;  // exposed for the browser test (compared with the Python implementation)

  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(init);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

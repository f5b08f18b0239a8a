/* Podium site script: renders Vega-Lite charts and the per-prompt gallery.
 * Subscribed to Material's document$ so it works with instant navigation; never inserts model output as HTML. */
(function () {
  "use strict";

  function renderCharts() {
    document.querySelectorAll(".vega-chart:not([data-done])").forEach(function (el) {
      el.setAttribute("data-done", "1");
      var url = new URL(el.getAttribute("data-src"), document.baseURI);
      fetch(url).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status + " for " + url);
        return r.json();
      }).then(function (spec) {
        return vegaEmbed(el, spec, { actions: false, renderer: "svg" });
      }).catch(function (err) {
        el.textContent = "Chart failed to load: " + err.message;
      });
    });
  }

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") el.textContent = attrs[k]; else el.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }

  function parseHash() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("=");
      out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }

  function setHash(state) {
    var parts = [];
    Object.keys(state).forEach(function (k) {
      if (state[k] !== undefined && state[k] !== "") parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(state[k]));
    });
    history.replaceState(null, "", "#" + parts.join("&"));
  }

  var PAGE = 10;

  function Gallery(root) {
    this.root = root;
    this.base = new URL(root.getAttribute("data-index"), document.baseURI);
    this.shards = {};
  }

  Gallery.prototype.start = function () {
    var self = this;
    fetch(this.base).then(function (r) { return r.json(); }).then(function (index) {
      self.index = index;
      var st = parseHash();
      self.state = { suite: st.suite, models: st.models, filter: st.filter || "all", page: +(st.page || 0), q: st.q || "" };
      self.draw();
    }).catch(function (err) { self.root.textContent = "Gallery index failed to load: " + err.message; });
  };

  Gallery.prototype.suite = function () {
    var s = this.index.suites, id = this.state.suite;
    for (var i = 0; i < s.length; i++) if (s[i].id === id) return s[i];
    this.state.suite = s.length ? s[0].id : undefined;
    return s[0];
  };

  Gallery.prototype.selectedModels = function (suite) {
    var want = (this.state.models || "").split(",").filter(Boolean);
    var ms = suite.models.filter(function (m) { return !want.length || want.indexOf(m.id) >= 0; });
    return ms.length ? ms : suite.models;
  };

  Gallery.prototype.rows = function (suite, models) {
    var ids = [], seen = {};
    models.forEach(function (m) { m.items.forEach(function (id) { if (!seen[id]) { seen[id] = 1; ids.push(id); } }); });
    var pos = models.map(function (m) { var p = {}; m.items.forEach(function (id, i) { p[id] = i; }); return p; });
    var f = this.state.filter, q = this.state.q.toLowerCase();
    return ids.filter(function (id) {
      if (q && id.toLowerCase().indexOf(q) < 0) return false;
      var sc = models.map(function (m, k) { var i = pos[k][id]; return i === undefined ? null : m.scores[i]; })
        .filter(function (x) { return x !== null && x !== undefined; });
      if (f === "pass") return sc.length && sc.every(function (x) { return x >= 1; });
      if (f === "fail") return sc.length && sc.every(function (x) { return x <= 0; });
      if (f === "disagree") return sc.some(function (x) { return x >= 1; }) && sc.some(function (x) { return x < 1; });
      if (f === "ungraded") return models.some(function (m, k) { var i = pos[k][id]; return i !== undefined && (m.scores[i] === null || m.scores[i] === undefined); });
      return true;
    }).map(function (id) { return { id: id, pos: pos.map(function (p) { return p[id]; }) }; });
  };

  Gallery.prototype.shard = function (suiteId, model, idx) {
    var k = Math.floor(idx / model.shard_items), key = suiteId + "/" + model.id + "/" + k;
    if (!this.shards[key]) {
      this.shards[key] = fetch(new URL(model.shards[k], this.base)).then(function (r) { return r.json(); });
    }
    return this.shards[key].then(function (items) { return items[idx % model.shard_items]; });
  };

  Gallery.prototype.controls = function (suite, models, total) {
    var self = this, st = this.state;
    var suiteSel = h("select", { "aria-label": "suite" });
    this.index.suites.forEach(function (s) {
      var o = h("option", { value: s.id, text: s.id }); if (s.id === suite.id) o.selected = true; suiteSel.appendChild(o);
    });
    suiteSel.onchange = function () { st.suite = suiteSel.value; st.models = ""; st.page = 0; self.draw(); };
    var boxes = h("span", {}, suite.models.map(function (m) {
      var cb = h("input", { type: "checkbox", value: m.id }); cb.checked = models.indexOf(m) >= 0;
      cb.onchange = function () {
        var on = Array.prototype.slice.call(boxes.querySelectorAll("input:checked")).map(function (x) { return x.value; });
        st.models = on.join(","); st.page = 0; self.draw();
      };
      return h("label", {}, [cb, document.createTextNode(" " + m.name + " ")]);
    }));
    var filters = [["all", "all items"], ["pass", "all correct"], ["fail", "all wrong"], ["disagree", "models disagree"]];
    var picker = null;
    if (suite.scenarios) {  // scenario suites: pick one scenario (its trials), filter ungraded trials
      filters = [["all", "all trials"], ["pass", "passed (all models)"], ["fail", "failed (all models)"],
                 ["disagree", "models disagree"], ["ungraded", "ungraded"]];
      picker = h("select", { "aria-label": "scenario" });
      picker.appendChild(h("option", { value: "", text: "all scenarios" }));
      suite.scenarios.forEach(function (sc) {
        var o = h("option", { value: sc.id + "/", text: sc.title + " (" + sc.id + ")" });
        if (st.q === sc.id + "/") o.selected = true;
        picker.appendChild(o);
      });
      picker.onchange = function () { st.q = picker.value; st.page = 0; self.draw(); };
    }
    var filt = h("select", { "aria-label": "filter" });
    filters.forEach(function (p) {
      var o = h("option", { value: p[0], text: p[1] }); if (p[0] === st.filter) o.selected = true; filt.appendChild(o);
    });
    filt.onchange = function () { st.filter = filt.value; st.page = 0; self.draw(); };
    var search = h("input", { type: "search", placeholder: "item id", value: st.q, "aria-label": "item id filter" });
    search.onchange = function () { st.q = search.value; st.page = 0; self.draw(); };
    var pages = Math.max(1, Math.ceil(total / PAGE));
    var prev = h("button", { text: "‹ prev" }), next = h("button", { text: "next ›" });
    prev.disabled = st.page <= 0; next.disabled = st.page >= pages - 1;
    prev.onclick = function () { st.page -= 1; self.draw(); };
    next.onclick = function () { st.page += 1; self.draw(); };
    var info = h("span", { text: total + " items · page " + (st.page + 1) + " / " + pages });
    return h("div", { "class": "podium-gallery-controls" },
      [suiteSel, picker, boxes, filt, search, h("span", { "class": "podium-pager" }, [prev, info, next])]);
  };

  Gallery.prototype.card = function (suite, models, row) {
    var self = this, card = h("div", { "class": "podium-item", id: "item-" + row.id });
    var cols = h("div", { "class": "podium-cols" });
    var first = true;
    models.forEach(function (m, k) {
      var idx = row.pos[k];
      var col = h("div", { "class": "podium-col" }, [h("strong", { text: m.name })]);
      cols.appendChild(col);
      if (idx === undefined) { col.appendChild(h("p", { text: "not evaluated on this item" })); return; }
      self.shard(suite.id, m, idx).then(function (item) {
        if (item.turns) { self.trialColumn(card, cols, col, suite, item, first); first = false; return; }
        if (first) {
          first = false;
          card.insertBefore(h("div", {}, [
            h("pre", { "class": "podium-out", text: item.input || item.prompt }),
            h("p", { "class": "podium-reference", text: "Reference: " + item.reference + (item.choices.length ? " · choices: " + item.choices.join(" | ") : "") }),
            h("details", {}, [h("summary", { text: "full prompt" }), h("pre", { "class": "podium-out", text: item.prompt })])
          ]), cols);
        }
        var score = item.scores[suite.variant];
        col.className = "podium-col " + (score >= 1 ? "pass" : "fail");
        col.appendChild(h("span", { "class": "podium-mark", text: (score >= 1 ? " ✓ " : " ✗ ") + suite.variant + " " + (score === undefined ? "–" : score.toFixed(2)) }));
        if (item.scores.n !== undefined) {
          col.appendChild(h("div", { "class": "podium-n", text: "solved " + item.scores.c + " / " + item.scores.n +
            " samples (" + (100 * item.scores.pass_rate).toFixed(0) + "%)" }));
        }
        item.outputs.forEach(function (o, j) {
          var verdict = o.extracted && o.extracted.verdict;
          var label = (item.outputs.length > 1 ? "sample " + (j + 1) : "") + (verdict ? " · " + verdict : "");
          if (label) col.appendChild(h("div", { "class": "podium-mark", text: label }));
          if (o.extracted && o.extracted.code !== undefined && !o.error) {
            var code = h("code", { "class": "language-python", text: o.extracted.code });
            col.appendChild(h("pre", { "class": "podium-out" }, [code]));
            if (window.hljs) window.hljs.highlightElement(code);  // highlight.js escapes the text it colours
          } else {
            col.appendChild(h("pre", { "class": "podium-out", text: o.error ? "[request failed] " + o.error : o.text }));
          }
          if (o.detail) col.appendChild(h("pre", { "class": "podium-n podium-detail", text: o.detail }));
        });
      }).catch(function (err) { col.appendChild(h("p", { text: "failed to load: " + err.message })); });
    });
    card.appendChild(h("h3", { text: row.id }));
    card.appendChild(cols);
    return card;
  };

  // ---- scenario trials: the whole conversation, tool calls and results, and every grader's verdict (all as text)

  function turnLabel(t) {
    if (t.role === "tool") return "tool result" + (t.name ? " · " + t.name : "") + (t.tool_call_id ? " (" + t.tool_call_id + ")" : "");
    if (t.role === "user" && t.name === "tool_results") return "user · tool results fed back";
    return t.role + (t.name ? " · " + t.name : "");
  }

  function renderTurns(turns) {
    var box = h("div", { "class": "podium-transcript" });
    turns.forEach(function (t) {
      var turn = h("div", { "class": "podium-turn podium-turn-" + t.role }, [h("div", { "class": "podium-turn-role", text: turnLabel(t) })]);
      if (t.content) turn.appendChild(h("pre", { "class": "podium-out", text: t.content }));
      (t.tool_calls || []).forEach(function (c) {
        var shown = c.error ? "(unreadable: " + c.error + ")" : c.arguments;
        turn.appendChild(h("div", { "class": "podium-call", text: "→ call " + (c.name || "?") + " " + shown + (c.id ? "  [" + c.id + "]" : "") }));
      });
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

  Gallery.prototype.trialColumn = function (card, cols, col, suite, item, first) {
    if (first) {
      card.insertBefore(h("div", {}, [renderTurns(item.turns), h("p", { text: "Reference: " + item.reference })]), cols);
    }
    var score = item.scores[suite.variant], graded = score !== undefined && score !== null;
    col.className = "podium-col " + (!graded ? "ungraded" : score >= 1 ? "pass" : "fail");
    col.appendChild(h("span", { "class": "podium-mark", text: !graded ? " ? ungraded" : (score >= 1 ? " ✓ passed" : " ✗ failed") +
      (item.scores.score !== undefined ? " · score " + item.scores.score.toFixed(2) : "") }));
    item.outputs.forEach(function (o) {
      var x = o.extracted || {};
      col.appendChild(h("div", { "class": "podium-n", text: [x.protocol, x.trial, x.sampling, x.turns ? x.turns + " model turn(s)" : ""].filter(Boolean).join(" · ") }));
      if (o.error) col.appendChild(h("pre", { "class": "podium-out", text: "[request failed] " + o.error }));
      col.appendChild(renderTurns(o.transcript || [{ role: "assistant", content: o.text, tool_calls: [] }]));
      if (o.grades && o.grades.length) col.appendChild(renderGrades(o.grades));
      if (o.detail) col.appendChild(h("details", {}, [h("summary", { text: "grader explanation" }), h("pre", { "class": "podium-n podium-detail", text: o.detail })]));
    });
  };

  Gallery.prototype.draw = function () {
    var suite = this.suite();
    this.root.textContent = "";
    if (!suite) { this.root.appendChild(h("p", { text: "No runs yet." })); return; }
    var models = this.selectedModels(suite), rows = this.rows(suite, models);
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    this.state.page = Math.min(Math.max(0, this.state.page), pages - 1);
    setHash(this.state);
    this.root.appendChild(this.controls(suite, models, rows.length));
    var self = this;
    rows.slice(this.state.page * PAGE, (this.state.page + 1) * PAGE).forEach(function (row) {
      self.root.appendChild(self.card(suite, models, row));
    });
  };

  function init() {
    renderCharts();
    var g = document.getElementById("podium-gallery");
    if (g && !g.getAttribute("data-done")) { g.setAttribute("data-done", "1"); new Gallery(g).start(); }
  }

  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(init);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

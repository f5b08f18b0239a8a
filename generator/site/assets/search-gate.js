/* Podium: Material for MkDocs fetches the search index and starts its search worker as soon as any page loads;
   at 50 models the index is half of the home page's first view. This script (inlined before Material's bundle)
   holds both until the search box is first used — focus (a click, or the s / f / / shortcut), a key typed in
   it, or the search toggle on a phone — and then lets them through, so search works as before after a moment. */
(function () {
  "use strict";
  var open = false, waiting = [];
  function release() {
    if (open) return;
    open = true;
    window.__podiumSearchReleased = true;
    waiting.splice(0).forEach(function (go) { go(); });
  }
  function isIndex(url) { return /search\/search_index\.json([?#]|$)/.test(String(url)); }
  function isWorker(url) { return /workers\/search\.[0-9a-f]+\.min\.js/.test(String(url)); }

  var xhrOpen = XMLHttpRequest.prototype.open, xhrSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__podiumHold = isIndex(url);
    return xhrOpen.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var xhr = this, args = arguments;
    if (!xhr.__podiumHold || open) return xhrSend.apply(xhr, args);
    waiting.push(function () { xhrSend.apply(xhr, args); });
  };

  var RealWorker = window.Worker;
  if (RealWorker && window.EventTarget && window.MessageEvent) {
    window.Worker = function (url, options) {
      if (open || !isWorker(url)) return new RealWorker(url, options);
      var proxy = new EventTarget(), queue = [], real = null, ended = false;
      proxy.postMessage = function (msg) { if (real) real.postMessage(msg); else queue.push(msg); };
      proxy.terminate = function () { ended = true; if (real) real.terminate(); };
      waiting.push(function () {
        if (ended) return;
        real = new RealWorker(url, options);
        real.addEventListener("message", function (e) { proxy.dispatchEvent(new MessageEvent("message", { data: e.data })); });
        real.addEventListener("error", function () { proxy.dispatchEvent(new Event("error")); });
        queue.splice(0).forEach(function (msg) { real.postMessage(msg); });
      });
      return proxy;
    };
  }

  function isSearch(el) { return el && el.matches && el.matches("[data-md-component=search-query], #__search"); }
  document.addEventListener("focusin", function (e) { if (isSearch(e.target)) release(); }, true);
  document.addEventListener("keydown", function (e) { if (isSearch(e.target)) release(); }, true);
  document.addEventListener("change", function (e) { if (isSearch(e.target) && e.target.checked) release(); }, true);
  if (/[?&]q=/.test(location.search)) release();  // a link to search results (?q=...)
})();

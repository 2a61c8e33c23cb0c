// Run page: follow the run's Server-Sent Events and show its answer as it is generated.
// Model output is untrusted: it only ever goes into a Text node (never innerHTML).
(function () {
  "use strict";
  var root = document.getElementById("run");
  if (!root) return;
  var out = document.getElementById("run-output");
  var stateEl = document.getElementById("run-state");
  var queueEl = document.getElementById("run-queue");
  var errorEl = document.getElementById("run-error");
  var statsEl = document.getElementById("run-stats");
  var cancelForm = document.getElementById("run-cancel");
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Succeeded",
                 failed: "Failed", cancelled: "Cancelled" };

  function setText(el, text) { if (el) el.textContent = text; }
  function setState(state) {
    if (!stateEl || !state) return;
    stateEl.dataset.state = state;
    setText(stateEl, LABELS[state] || state);
    if (state !== "queued") setText(queueEl, "");
    root.dataset.state = state;
  }
  function fmt(value) { return value === null || value === undefined ? "–" : String(value); }

  function showFinal(ev) {
    if (typeof ev.output === "string") node.data = ev.output;
    setState(ev.state);
    if (ev.error) { setText(errorEl, ev.error); errorEl.hidden = false; }
    setText(document.getElementById("run-tokens"), fmt(ev.completion_tokens || 0));
    setText(document.getElementById("run-time"), fmt(ev.duration_s));
    setText(document.getElementById("run-tps"), fmt(ev.tokens_per_second));
    if (statsEl) statsEl.hidden = false;
    if (cancelForm) cancelForm.hidden = true;
    root.dataset.final = "1";
  }

  // One text node holds the whole answer; appendData keeps it text whatever it contains.
  var node = document.createTextNode(out ? out.textContent : "");
  if (out) { out.textContent = ""; out.appendChild(node); }

  if (cancelForm) {
    cancelForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = cancelForm.querySelector("button");
      if (button) { button.disabled = true; setText(button, "Cancelling…"); }
      fetch(cancelForm.action, {
        method: "POST", body: new FormData(cancelForm), credentials: "same-origin",
        headers: { "Accept": "application/json" },
      }).catch(function () { if (button) { button.disabled = false; setText(button, "Cancel"); } });
    });
  }

  if (root.dataset.final === "1" || !window.EventSource) return;
  node.data = "";  // the stream replays the answer from its start
  var source = new EventSource(root.dataset.eventsUrl);
  source.onmessage = function (message) {
    var ev;
    try { ev = JSON.parse(message.data); } catch (e) { return; }
    switch (ev.type) {
      case "text": node.appendData(String(ev.text)); break;
      case "reset": node.data = ""; break;
      case "state": setState(ev.state); break;
      case "queue":
        setText(queueEl, ev.position ? " · position " + ev.position + " in the queue" : "");
        break;
      case "final": showFinal(ev); source.close(); break;
    }
  };
  source.onerror = function () {
    // EventSource reconnects by itself with Last-Event-ID; nothing to redo here.
    if (root.dataset.final === "1") source.close();
  };
})();

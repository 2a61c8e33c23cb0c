// Run page: copy buttons on every answer (.answer, templates/tools/_answer.html), and the
// followed run (#run) streamed from its Server-Sent Events.
// Model output is untrusted. Streamed text only ever goes into a Text node. When the run
// ends, the answer is replaced by the server's rendering of it (GET the panel's
// data-answer-url: Markdown with raw HTML off, sanitised by nh3 in tools/answers.py), the
// same HTML a reload would show.
(function () {
  "use strict";
  var FEEDBACK_MS = 2000;

  function setText(el, text) { if (el) el.textContent = text; }

  // --- copying ---------------------------------------------------------------------------

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP sites have no Clipboard API: copy from a selected, off-screen textarea.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "copy-buffer";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function feedback(button, status, label, message) {
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = label;
    setText(status, message);
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(function () {
      button.textContent = button.dataset.label;
      setText(status, "");
    }, FEEDBACK_MS);
  }

  function copyWithFeedback(button, text, what) {
    var panel = button.closest(".answer");
    var status = panel ? panel.querySelector(".answer-status") : null;
    copyText(text).then(
      function () { feedback(button, status, "Copied", what + " copied to the clipboard"); },
      function () { feedback(button, status, "Copy failed", "Could not copy: select the text instead"); }
    );
  }

  function sourceOf(panel) {
    var holder = panel.querySelector("template.answer-source");
    return holder ? holder.content.textContent : "";
  }

  function setSource(panel, text) {
    var holder = panel.querySelector("template.answer-source");
    if (holder) holder.content.textContent = text;
  }

  // Each code block of a rendered answer gets a bar with its language and a Copy button.
  function enhanceCode(body) {
    body.querySelectorAll("pre").forEach(function (pre) {
      if (pre.parentElement.classList.contains("code-block")) return;
      var block = document.createElement("div");
      block.className = "code-block";
      var bar = document.createElement("div");
      bar.className = "code-bar";
      var lang = document.createElement("span");
      lang.className = "code-lang";
      lang.textContent = pre.dataset.lang || "text";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small code-copy";
      button.textContent = "Copy code";
      bar.appendChild(lang);
      bar.appendChild(button);
      pre.parentNode.insertBefore(block, pre);
      block.appendChild(bar);
      block.appendChild(pre);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-answer], .code-copy");
    if (!button) return;
    if (button.matches("[data-copy-answer]")) {
      var panel = button.closest(".answer");
      if (panel) copyWithFeedback(button, sourceOf(panel), "Answer");
    } else {
      var pre = button.closest(".code-block").querySelector("pre");
      if (pre) copyWithFeedback(button, pre.textContent, "Code");
    }
  });

  document.querySelectorAll(".answer-md").forEach(enhanceCode);

  // --- the followed run ------------------------------------------------------------------

  var root = document.getElementById("run");
  if (!root) return;
  var out = document.getElementById("run-output");
  var panel = out ? out.closest(".answer") : null;
  var stateEl = document.getElementById("run-state");
  var queueEl = document.getElementById("run-queue");
  var errorEl = document.getElementById("run-error");
  var statsEl = document.getElementById("run-stats");
  var timingEl = document.getElementById("run-timing");
  var cancelForm = document.getElementById("run-cancel");
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Succeeded",
                 failed: "Failed", cancelled: "Cancelled" };

  function setState(state) {
    if (!stateEl || !state) return;
    stateEl.dataset.state = state;
    setText(stateEl, LABELS[state] || state);
    if (state !== "queued") {
      setText(queueEl, "");
      var waiting = document.getElementById("run-waiting");
      if (waiting) waiting.hidden = true;  // a worker took it
    }
    root.dataset.state = state;
  }
  function fmt(value) { return value === null || value === undefined ? "–" : String(value); }
  function known(value) { return value !== null && value !== undefined; }

  // Swap the streamed text for the rendered answer; on any failure the text stays, which
  // is the whole answer too.
  function showRendered(text) {
    if (!panel || !panel.dataset.answerUrl) return;  // the builder's test panel: text only
    setSource(panel, text);
    var tools = panel.querySelector(".answer-tools");
    if (tools) tools.hidden = !text;
    if (!text) {
      var empty = document.createElement("p");
      empty.className = "answer-empty";
      empty.textContent = "No answer.";
      out.replaceChildren(empty);
      out.classList.replace("answer-live", "answer-md");
      return;
    }
    fetch(panel.dataset.answerUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (!html.trim()) return;
        out.innerHTML = html;  // sanitised by the server (tools/answers.py)
        out.classList.remove("answer-live");
        out.classList.add("answer-md");
        out.removeAttribute("aria-live");
        enhanceCode(out);
        panel.dataset.rendered = "1";
      })
      .catch(function () {});
  }

  function showFinal(ev) {
    if (typeof ev.output === "string") node.data = ev.output;
    setState(ev.state);
    if (ev.error) { setText(errorEl, ev.error); errorEl.hidden = false; }
    setText(document.getElementById("run-tokens"), fmt(ev.completion_tokens || 0));
    setText(document.getElementById("run-time"), fmt(ev.duration_s));
    setText(document.getElementById("run-tps"), fmt(ev.tokens_per_second));
    if (statsEl) statsEl.hidden = !known(ev.completion_tokens);
    if (timingEl) timingEl.hidden = !known(ev.duration_s);
    if (cancelForm) cancelForm.hidden = true;
    var followup = document.getElementById("run-followup");
    if (followup) followup.hidden = false;  // a finished answer can be followed up
    root.dataset.final = "1";
    showRendered(node.data);
  }

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

  if (root.dataset.final === "1" || !window.EventSource || !out) return;
  // One text node holds the whole streamed answer; appendData keeps it text whatever it
  // contains. The stream replays the answer from its start.
  var node = document.createTextNode("");
  out.textContent = "";
  out.appendChild(node);
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

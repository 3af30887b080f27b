/* 全岗通 window workbench: keyboard shortcuts and live counts (no build step, no external code). */
(function () {
  "use strict";
  var root = document.getElementById("workbench");
  if (!root) return;
  var leaving = false;

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  document.addEventListener("keydown", function (event) {
    if (leaving || event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    if (typing(event.target)) return;
    var key = (event.key || "").toLowerCase();
    if (key.length !== 1) return;
    var button = root.querySelector('button[data-key="' + key + '"]:not(:disabled)');
    if (!button) return;
    event.preventDefault();
    var focus = button.dataset.focus && document.getElementById(button.dataset.focus);
    if (focus) {
      focus.focus();
      return;
    }
    button.click();
  });

  // One click (or key press) is one request: a double press must not call two tickets.
  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (leaving || form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    leaving = true;
  });

  function setText(selector, value) {
    var node = root.querySelector(selector);
    if (node && node.textContent !== String(value)) node.textContent = value;
  }

  function refresh() {
    if (leaving) return;
    fetch(root.dataset.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state || leaving) return;
        if (!state.signed_in || state.signature !== root.dataset.signature) {
          // The window changed elsewhere (a hardware caller, the API, another tab): show it as it is now.
          if (!typing(document.activeElement)) {
            leaving = true;
            window.location.assign(root.dataset.homeUrl);
          }
          return;
        }
        setText('[data-count="eligible"]', state.eligible);
        state.categories.forEach(function (row) {
          setText('[data-count="waiting-' + row.prefix + '"]', row.waiting);
          setText('[data-count="eligible-' + row.prefix + '"]', row.eligible);
        });
        var now = new Date();
        setText("#wb-refreshed", "已刷新 " + now.toTimeString().slice(0, 8));
      })
      .catch(function () {
        setText("#wb-refreshed", "连接中断，正在重试…");
      })
      .then(function () {
        window.setTimeout(refresh, 3000);
      });
  }
  window.setTimeout(refresh, 3000);
})();

/* 全岗通 kiosk: go home when idle, one submit per tap, the on-screen keypad, and printing the 58 mm slip. */
(function () {
  "use strict";

  function idleReturn() {
    var screen = document.querySelector("[data-idle-url]");
    if (!screen) return;
    var url = screen.getAttribute("data-idle-url");
    var seconds = parseInt(screen.getAttribute("data-idle-seconds"), 10) || 60;
    var timer = null;
    function arm() {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.assign(url); }, seconds * 1000);
    }
    ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
      document.addEventListener(name, arm, { capture: true, passive: true });
    });
    arm();
  }

  function submitOnce() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        // Buttons are not disabled: a disabled button would drop its name=value (the priority) from the form.
        if (form.hasAttribute("data-sent")) {
          event.preventDefault();
          return;
        }
        form.setAttribute("data-sent", "1");
      });
    });
  }

  function keypads() {
    document.querySelectorAll("[data-keypad]").forEach(function (pad) {
      var input = document.getElementById(pad.getAttribute("data-keypad"));
      if (!input) return;
      pad.hidden = false;
      pad.addEventListener("click", function (event) {
        var key = event.target.getAttribute("data-key");
        if (!key) return;
        if (key === "back") input.value = input.value.slice(0, -1);
        else if (key === "clear") input.value = "";
        else if (input.value.length < 11) input.value += key;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  }

  function fitPageToSlip() {
    // CSS cannot say "as long as the content" for a page; measure the slip (laid out at its printed width).
    var slip = document.querySelector(".slip");
    if (!slip) return;
    var heightMm = Math.ceil(slip.getBoundingClientRect().height * 25.4 / 96) + 4 + 2;
    var style = document.createElement("style");
    style.textContent = "@page ticket { size: 58mm " + heightMm + "mm; margin: 2mm; }";
    document.head.appendChild(style);
  }

  function printing() {
    var screen = document.querySelector(".ticket-screen");
    if (!screen) return;
    fitPageToSlip();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var home = screen.getAttribute("data-return-url");
    var seconds = parseInt(screen.getAttribute("data-return-seconds"), 10) || 15;
    if (screen.hasAttribute("data-autoprint")) {
      window.setTimeout(function () {
        window.print();
        if (home) window.setTimeout(function () { window.location.assign(home); }, seconds * 1000);
      }, 300);
    }
  }

  function start() {
    idleReturn();
    submitOnce();
    keypads();
    printing();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

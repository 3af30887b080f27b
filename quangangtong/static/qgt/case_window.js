// The case pages at the window work without this script; it only hides the fields that do not apply.
(function () {
  "use strict";

  function toggleLegal() {
    var legal = document.getElementById("case-kind-legal");
    var fields = document.getElementById("case-legal-fields");
    if (!legal || !fields) return;
    fields.hidden = !legal.checked;
  }

  function toggleProof() {
    var code = document.getElementById("deliver-proof-pickup_code");
    var codeInput = document.getElementById("deliver-pickup-code");
    var idInput = document.getElementById("deliver-recipient-id");
    if (!code || !codeInput || !idInput) return;
    codeInput.closest("form").querySelectorAll("label[for=deliver-pickup-code], #deliver-pickup-code").forEach(function (el) {
      el.hidden = !code.checked;
    });
    codeInput.closest("form").querySelectorAll("label[for=deliver-recipient-id], #deliver-recipient-id").forEach(function (el) {
      el.hidden = code.checked;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "applicant_kind") toggleLegal();
    if (event.target.name === "proof") toggleProof();
  });
  document.addEventListener("DOMContentLoaded", function () {
    toggleLegal();
    toggleProof();
  });
})();

// The API tokens page: "Copy" puts the new key on the clipboard (the key stays
// selectable in its read-only field when the clipboard is unavailable).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.querySelector("[data-copy-status]");
    if (!field) {
      return;
    }
    field.focus();
    field.select();
    function done(message) {
      if (status) {
        status.textContent = message;
      }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { done("Copied to the clipboard."); },
        function () { done("Press Ctrl+C (or ⌘C) to copy the selected key."); }
      );
    } else {
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (err) {
        copied = false;
      }
      done(copied ? "Copied to the clipboard." : "Press Ctrl+C (or ⌘C) to copy the selected key.");
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-token-key]")) {
      event.target.select();
    }
  });
})();

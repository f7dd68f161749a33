// After a save, the confirmation (or the error summary) is where the person is looking: the
// first [data-confirmation] on the page takes the focus, on load and after each htmx swap.
(function () {
  "use strict";
  function focusConfirmation(root) {
    var el = (root || document).querySelector("[data-confirmation]");
    if (!el) return;
    if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("DOMContentLoaded", function () { focusConfirmation(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    focusConfirmation(event.detail && event.detail.elt ? event.detail.elt.ownerDocument : document);
  });
})();

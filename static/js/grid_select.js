/* "Select all on this page" on the project grid: a checkbox with data-select-all="<name>" ticks or clears every
   checkbox of that name tied to the same form. Delegated from document, so the grid's htmx swaps need no setup;
   after a swap the box is redrawn unticked. No inline handlers (Content-Security-Policy). */
(function () {
  if (window.studioGridSelect) return;
  window.studioGridSelect = true;
  document.addEventListener("change", function (event) {
    var box = event.target.closest("[data-select-all]");
    if (!box) return;
    var form = box.getAttribute("form");
    var selector = 'input[type="checkbox"][name="' + box.dataset.selectAll + '"]' + (form ? '[form="' + form + '"]' : "");
    document.querySelectorAll(selector).forEach(function (input) { input.checked = box.checked; });
  });
})();

/* Generate forms (no inline handlers: Content-Security-Policy). The prompt box's counter: characters typed against
   the limit in data-prompt-limit, shown in the element its aria-describedby names, red when over (the server
   refuses a longer prompt; nothing is cut). Changing a SKU filter chooses the "SKUs matching" scope. */
(function () {
  if (window.studioGenerateForm) return;
  window.studioGenerateForm = true;

  function count(box) {
    var counter = document.getElementById(box.getAttribute("aria-describedby") || "");
    var limit = parseInt(box.dataset.promptLimit, 10);
    if (!counter || !limit) return;
    var n = box.value.length;
    var shown = counter.querySelector("[data-count]");
    if (shown) shown.textContent = String(n);
    counter.classList.toggle("over", n > limit);
  }
  function countAll() { document.querySelectorAll("textarea[data-prompt-limit]").forEach(count); }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-prompt-limit]")) count(event.target);
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("textarea[data-prompt-limit]")) count(target);
    if (target.closest && target.closest("[data-sku-filter]")) {
      var scope = document.querySelector("[data-scope-filter]");
      if (scope && !scope.checked) { scope.checked = true; }
    }
  });
  document.addEventListener("DOMContentLoaded", countAll);
  document.addEventListener("htmx:afterSettle", countAll);
  document.addEventListener("htmx:oobAfterSwap", countAll);
})();

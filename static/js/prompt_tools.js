/* Generate page prompt helpers, without inline handlers (the Content-Security-Policy allows no inline script and
   no eval, so htmx's hx-on attributes are off): a button with data-prompt-action="replace" puts data-text in the
   prompt box; "append" adds it (once) after what is there. Delegated from document, so fragments need no setup. */
(function () {
  if (window.studioPromptTools) return;
  window.studioPromptTools = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-prompt-action]");
    if (!button) return;
    var box = document.querySelector(button.dataset.promptTarget);
    if (!box) return;
    if (button.dataset.promptAction === "replace") {
      box.value = button.dataset.text;
    } else if (!box.value.includes(button.dataset.description || button.dataset.text)) {
      var before = box.value.trim().replace(/[.\s]+$/, "");
      box.value = before ? before + ". " + button.dataset.text : button.dataset.text;
      box.focus();
    }
    box.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();

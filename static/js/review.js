/* Review board keyboard: a = approve, r = reject (focus the comment; Enter submits), ← / → = previous / next,
   x = tick for bulk approve, Esc = leave the comment box. Also: "select all" for bulk approve.
   Loaded on every page (base.html) and does nothing outside a review board; listeners are delegated from document,
   so boards swapped in by htmx or hx-boost need no setup. */
(function () {
  if (window.studioReview) return;
  window.studioReview = true;

  function board() { return document.querySelector("[data-review-board]"); }
  function tiles() { return Array.from(document.querySelectorAll(".review-tile")); }
  function selectedTile() { return document.querySelector(".review-tile.is-selected") || tiles()[0] || null; }
  function typing(el) { return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT" || el.isContentEditable); }

  function select(tile) {
    if (!tile) return;
    tiles().forEach(function (t) { t.classList.toggle("is-selected", t === tile); });
    tile.scrollIntoView({ block: "nearest" });
    var link = tile.querySelector(".tile-link");
    if (link) link.click();
  }

  function move(step) {
    var all = tiles(), current = selectedTile();
    if (!all.length) return;
    var index = current ? all.indexOf(current) + step : 0;
    if (index < 0 || index >= all.length) return;
    select(all[index]);
  }

  function click(selector) {
    var button = document.querySelector(selector);
    if (button && !button.disabled) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (!board() || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && target.id === "review-comment") {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); click("#decide-form [data-reject]"); }
      else if (event.key === "Escape") { target.blur(); }
      return;
    }
    if (typing(target)) return;
    switch (event.key) {
      case "a": case "A": event.preventDefault(); click("#decide-form [data-approve]"); break;
      case "r": case "R": {
        event.preventDefault();
        var comment = document.getElementById("review-comment");
        if (comment) comment.focus();
        break;
      }
      case "ArrowRight": event.preventDefault(); move(1); break;
      case "ArrowLeft": event.preventDefault(); move(-1); break;
      case "x": case "X": {
        var tile = selectedTile(), box = tile && tile.querySelector("input[type=checkbox]");
        if (box) { event.preventDefault(); box.checked = !box.checked; }
        break;
      }
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".tile-link");
    if (link) {
      var tile = link.closest(".review-tile");
      tiles().forEach(function (t) { t.classList.toggle("is-selected", t === tile); });
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-select-all]")) {
      tiles().forEach(function (t) {
        var box = t.querySelector("input[type=checkbox]");
        if (box) box.checked = event.target.checked;
      });
    }
  });

})();

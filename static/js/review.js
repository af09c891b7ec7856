/* Review and client boards: keyboard, bulk select, and the large view's synced zoom / pan and A/B compare.

   Keys: a = approve, r = reject (focus the comment; Enter submits), ← / → = previous / next, x = tick for bulk,
   c = A/B compare with the previous round, 1 = 1:1, 0 = fit, + / - = zoom, Esc = leave the comment box.
   Loaded on every page (base.html) and does nothing outside a board; listeners are delegated from document, so
   boards swapped in by htmx or hx-boost need no setup.

   Focus: htmx gives focus back to the element with the same id after a swap, so after "r + comment + Enter" the
   new, empty comment box used to keep the focus and the next "a" typed an "a" (issue 16.2). Before a board is
   swapped the comment box is blurred, so the keys work again after every action. */
(function () {
  if (window.studioReview) return;
  window.studioReview = true;

  function board() { return document.querySelector("[data-review-board]"); }
  function tiles() { return Array.from(document.querySelectorAll(".review-tile")); }
  function selectedTile() { return document.querySelector(".review-tile.is-selected") || tiles()[0] || null; }
  var NOT_TEXT = ["range", "checkbox", "radio", "button", "submit"];
  function typing(el) {
    if (!el) return false;
    if (el.tagName === "INPUT") return NOT_TEXT.indexOf(el.type) < 0;  // a slider or a tick box takes no letters
    return el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
  }

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

  /* --- Zoom and pan, synced across the panes of one large view ---------------------------------------------------
     State is kept as a scale and an offset in fractions of the pane, so panes of different sizes stay aligned on
     the same relative spot of the garment and the output. */
  var view = { scale: 1, x: 0, y: 0, fit: true };
  var MAX_SCALE = 12;

  function compare() { return document.querySelector("[data-compare]"); }
  function panes() { var c = compare(); return c ? Array.from(c.querySelectorAll(".zoom-pane")) : []; }

  function clampView() {
    view.scale = Math.min(MAX_SCALE, Math.max(1, view.scale));
    var min = 1 - view.scale;  // the content never leaves a gap at the edges
    view.x = Math.min(0, Math.max(min, view.x));
    view.y = Math.min(0, Math.max(min, view.y));
  }

  function apply() {
    clampView();
    panes().forEach(function (pane) {
      var stage = pane.querySelector(".zoom-stage");
      if (!stage) return;
      var w = pane.clientWidth, h = pane.clientHeight;
      stage.style.transform = "translate(" + (view.x * w) + "px," + (view.y * h) + "px) scale(" + view.scale + ")";
    });
    var level = document.querySelector("[data-zoom-level]");
    if (level) level.textContent = view.scale === 1 ? "Fit" : Math.round(view.scale * 100) + "%";
    var c = compare();
    if (c) c.dataset.scale = view.scale.toFixed(3);
  }

  function zoomAt(factor, fx, fy) {
    var next = Math.min(MAX_SCALE, Math.max(1, view.scale * factor));
    var cx = (fx - view.x) / view.scale, cy = (fy - view.y) / view.scale;  // the content point under the pointer
    view.x = fx - cx * next;
    view.y = fy - cy * next;
    view.scale = next;
    apply();
  }

  function actualPixels() {
    var img = document.querySelector('[data-pane="output"] img[data-zoom-img]');
    if (!img || !img.naturalWidth || !img.clientWidth) return;
    var target = img.naturalWidth / img.clientWidth;
    zoomAt(target / view.scale, 0.5, 0.5);
  }

  function fit() { view.scale = 1; view.x = 0; view.y = 0; apply(); }

  function zoomCommand(name) {
    if (name === "fit") fit();
    else if (name === "1:1") actualPixels();
    else if (name === "in") zoomAt(1.5, 0.5, 0.5);
    else if (name === "out") zoomAt(1 / 1.5, 0.5, 0.5);
  }

  function paneFraction(pane, clientX, clientY) {
    var r = pane.getBoundingClientRect();
    return [(clientX - r.left) / r.width, (clientY - r.top) / r.height];
  }

  document.addEventListener("wheel", function (event) {
    var pane = event.target.closest && event.target.closest(".zoom-pane");
    if (!pane) return;
    event.preventDefault();
    var f = paneFraction(pane, event.clientX, event.clientY);
    zoomAt(event.deltaY < 0 ? 1.2 : 1 / 1.2, f[0], f[1]);
  }, { passive: false });

  // Pan with one pointer, pinch with two (pointer events cover mouse, pen and touch).
  var pointers = new Map(), gesture = null;

  document.addEventListener("pointerdown", function (event) {
    var pane = event.target.closest && event.target.closest(".zoom-pane");
    if (!pane || event.button > 0) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY, pane: pane });
    try { pane.setPointerCapture(event.pointerId); } catch (e) { /* a synthetic event */ }
    gesture = null;
  });

  document.addEventListener("pointermove", function (event) {
    var p = pointers.get(event.pointerId);
    if (!p) return;
    var pane = p.pane, w = pane.clientWidth || 1, h = pane.clientHeight || 1;
    if (pointers.size === 1) {
      view.x += (event.clientX - p.x) / w;
      view.y += (event.clientY - p.y) / h;
      p.x = event.clientX; p.y = event.clientY;
      apply();
      return;
    }
    p.x = event.clientX; p.y = event.clientY;
    var all = Array.from(pointers.values()).slice(0, 2);
    var dist = Math.hypot(all[0].x - all[1].x, all[0].y - all[1].y);
    var mid = paneFraction(pane, (all[0].x + all[1].x) / 2, (all[0].y + all[1].y) / 2);
    if (gesture && gesture.dist > 0) zoomAt(dist / gesture.dist, mid[0], mid[1]);
    gesture = { dist: dist };
  });

  function release(event) { pointers.delete(event.pointerId); if (pointers.size < 2) gesture = null; }
  document.addEventListener("pointerup", release);
  document.addEventListener("pointercancel", release);

  /* --- A/B compare with the previous round: the previous output on the left of a slider line ------------------- */
  function abToggle() {
    var previous = document.querySelector("[data-ab-previous]");
    var slider = document.querySelector("[data-ab-slider]");
    var button = document.querySelector("[data-ab-toggle]");
    var caption = document.querySelector("[data-ab-caption]");
    if (!previous || !slider) return;
    var on = previous.hidden;
    previous.hidden = !on; slider.hidden = !on;
    if (caption) caption.hidden = !on;
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    var c = compare();
    if (c) c.dataset.ab = on ? "on" : "off";
    abSlide();
  }

  function abSlide() {
    var previous = document.querySelector("[data-ab-previous]");
    var slider = document.querySelector("[data-ab-slider]");
    if (!previous || !slider) return;
    previous.style.clipPath = "inset(0 " + (100 - Number(slider.value)) + "% 0 0)";
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-ab-slider]")) abSlide();
  });

  /* --- Keyboard -------------------------------------------------------------------------------------------------- */
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
      case "c": case "C": event.preventDefault(); abToggle(); break;
      case "1": event.preventDefault(); actualPixels(); break;
      case "0": event.preventDefault(); fit(); break;
      case "+": case "=": event.preventDefault(); zoomAt(1.5, 0.5, 0.5); break;
      case "-": event.preventDefault(); zoomAt(1 / 1.5, 0.5, 0.5); break;
    }
  });

  // A swap must never leave the focus in a form field that the next key would type into (see the header).
  function leaveFields() {
    var active = document.activeElement;
    if (active && board() && board().contains(active) && typing(active)) active.blur();
  }
  // htmx gives the focus back by id inside the swap itself, before htmx:afterSwap: blur there, synchronously. Not at
  // htmx:afterSettle, which comes 20 ms later: by then a person may already have pressed "r" and be typing the
  // comment, and a blur would drop their next keys (seen in the browser test as "Pleaighten").
  document.addEventListener("htmx:beforeSwap", leaveFields);
  document.addEventListener("htmx:afterSwap", leaveFields);
  document.addEventListener("htmx:afterSettle", function (event) {
    var swapped = event.detail && event.detail.elt;
    if (swapped && swapped.querySelector && (swapped.matches("[data-review-board], .review-preview") || swapped.querySelector("[data-compare]"))) {
      view = { scale: 1, x: 0, y: 0, fit: true };  // a new output starts fitted
      apply();
    }
  });

  document.addEventListener("click", function (event) {
    var zoom = event.target.closest && event.target.closest("[data-zoom]");
    if (zoom) { event.preventDefault(); zoomCommand(zoom.getAttribute("data-zoom")); return; }
    var ab = event.target.closest && event.target.closest("[data-ab-toggle]");
    if (ab) { event.preventDefault(); abToggle(); return; }
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

  window.addEventListener("resize", apply);
})();

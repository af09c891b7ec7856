/* Drag-and-drop for upload zones (<form data-dropzone hx-post=…>), no build step.
 *
 * Dropped files are put into the form's own <input type=file> and the form is submitted through htmx, so a drop
 * and the file picker take the same path: FormData, the CSRF header from hx-headers on <body>, the server's
 * per-file report swapped into the page. Listeners are delegated from document, so pages swapped in by hx-boost
 * need no setup. The count and size checks here only save a pointless upload; the server checks everything.
 */
(function () {
  "use strict";

  function zoneOf(event) {
    return event.target instanceof Element ? event.target.closest("[data-dropzone]") : null;
  }

  function showError(zone, text) {
    var target = document.querySelector(zone.getAttribute("hx-target") || "#upload-result");
    if (!target) { window.alert(text); return; }
    var box = document.createElement("div");
    box.className = "alert error";
    box.textContent = text;
    target.replaceChildren(box);
  }

  function tooMuch(zone, files) {
    var maxFiles = parseInt(zone.dataset.maxFiles || "0", 10);
    if (maxFiles && files.length > maxFiles) {
      return "You chose " + files.length + " files; send at most " + maxFiles + " at a time. Nothing was uploaded.";
    }
    return "";
  }

  function submit(zone) {
    var input = zone.querySelector("input[type=file]");
    if (!input || !input.files.length) return;
    var problem = tooMuch(zone, input.files);
    if (problem) { showError(zone, problem); return; }
    if (window.htmx) { window.htmx.trigger(zone, "submit"); } else { zone.submit(); }
  }

  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = zoneOf(event);
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });

  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });

  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    var input = zone.querySelector("input[type=file]");
    if (!input || !event.dataTransfer || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;  // the same FileList the picker would give
    submit(zone);
  });

  // Choosing files in the picker uploads at once, like a drop.
  document.addEventListener("change", function (event) {
    var zone = zoneOf(event);
    if (zone && event.target.matches("input[type=file]")) submit(zone);
  });

  // A progress bar while the bytes go up; cleared when the server answers.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var zone = zoneOf(event);
    var bar = zone && zone.querySelector("progress");
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var zone = zoneOf(event);
    if (!zone) return;
    var bar = zone.querySelector("progress");
    if (bar) { bar.hidden = true; bar.value = 0; }
    var input = zone.querySelector("input[type=file]");
    if (input) input.value = "";
    if (!event.detail.successful) {
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      showError(zone, status === 403 ? "Your role may not upload images here." :
                      "The upload did not go through (" + (status || "network error") + "). Try again.");
    }
  });
})();

/* Zip import straight to S3 (<form data-s3-start=…> on the project page), no build step.
 *
 * The studio starts a multipart upload and answers with a presigned PUT URL per part (catalog/s3_uploads.py); the
 * file is sliced with File.slice() — never read whole — and the parts go up a few at a time, each retried on
 * failure, with the bytes sent shown in the form's <progress>. Each PUT answers an ETag (readable only if the bucket's
 * CORS exposes it, README); the list goes to the studio, which completes the upload and queues the import, and the
 * browser goes to the import page. On failure the upload is aborted and the error is shown in the form.
 * The listener is on document, in the capture phase, so it runs before htmx and needs no setup after hx-boost.
 */
(function () {
  "use strict";
  if (window.__zipUploadReady) return;
  window.__zipUploadReady = true;

  var PARALLEL = 3;
  var RETRIES = 3;

  function csrfToken(form) {
    var field = form.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function postJSON(form, url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body || {}),
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(form)},
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "The studio answered " + response.status + ". Nothing was imported.");
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function putPart(url, blob, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      xhr.upload.onprogress = function (event) { onProgress(event.loaded); };
      xhr.onload = function () {
        var etag = xhr.getResponseHeader("ETag");
        if (xhr.status < 200 || xhr.status >= 300) {
          reject(new Error("Storage answered " + xhr.status + " to a part of the archive."));
        } else if (!etag) {
          reject(new Error("Storage did not expose the part's ETag: the bucket's CORS must list ETag in " +
                           "ExposeHeaders."));
        } else {
          resolve(etag);
        }
      };
      xhr.onerror = function () { reject(new Error("A part of the archive could not be sent (network or CORS).")); };
      xhr.send(blob);
    });
  }

  function withRetries(attempt) {
    var tries = 0;
    function run() {
      return attempt().catch(function (error) {
        tries += 1;
        if (tries > RETRIES) throw error;
        return new Promise(function (resolve) { setTimeout(resolve, 500 * Math.pow(2, tries)); }).then(run);
      });
    }
    return run();
  }

  function uploadParts(file, started, progress) {
    var sent = new Array(started.urls.length).fill(0);
    var etags = new Array(started.urls.length);
    var next = 0;
    function show() {
      var total = sent.reduce(function (a, b) { return a + b; }, 0);
      progress.value = file.size ? Math.min(100, (100 * total) / file.size) : 100;
    }
    function worker() {
      if (next >= started.urls.length) return Promise.resolve();
      var index = next++;
      var blob = file.slice(index * started.part_size, (index + 1) * started.part_size);
      return withRetries(function () {
        sent[index] = 0;
        return putPart(started.urls[index], blob, function (loaded) { sent[index] = loaded; show(); });
      }).then(function (etag) {
        sent[index] = blob.size;
        etags[index] = {PartNumber: index + 1, ETag: etag};
        show();
        return worker();
      });
    }
    var workers = [];
    for (var i = 0; i < Math.min(PARALLEL, started.urls.length); i++) workers.push(worker());
    return Promise.all(workers).then(function () { return etags; });
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button, input[type=file]").forEach(function (el) { el.disabled = busy; });
  }

  function showError(form, text) {
    var box = form.querySelector("[role=alert]");
    if (!box) { window.alert(text); return; }
    box.textContent = text;
    box.hidden = false;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.s3Start) return;
    var input = form.querySelector("input[type=file]");
    var file = input && input.files[0];
    if (!file) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var progress = form.querySelector("progress");
    var error = form.querySelector("[role=alert]");
    if (error) error.hidden = true;
    progress.value = 0;
    progress.hidden = false;
    setBusy(form, true);
    var started = null;
    postJSON(form, form.dataset.s3Start, {filename: file.name, size: file.size})
      .then(function (answer) {
        started = answer;
        return uploadParts(file, started, progress);
      })
      .then(function (parts) { return postJSON(form, started.complete_url, {parts: parts}); })
      .then(function (done) { window.location.assign(done.url); })
      .catch(function (problem) {
        setBusy(form, false);
        progress.hidden = true;
        if (!started && problem.status === 404) {  // direct upload switched off since the page was drawn
          form.submit();
          return;
        }
        showError(form, problem.message);
        if (started) postJSON(form, started.abort_url, {reason: problem.message}).catch(function () {});
      });
  }, true);
})();

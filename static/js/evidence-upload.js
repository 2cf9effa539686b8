/*
 * Evidence drop zones: drag-and-drop and a progress bar (<progress>) on top of a plain upload form.
 *
 * Without JavaScript the form works as it is: a real <input type="file" multiple> inside a <label>, and an
 * Upload button that posts the form. With it, files chosen or dropped are sent one at a time with
 * XMLHttpRequest (so each gets a progress bar), the server answers with the parent's file list, and the
 * list is replaced (with any out-of-band part of the answer: a dossier section's state follows the upload). Results are announced in the form's aria-live status region. No libraries.
 *
 * Markup (templates/portfolios/activities/_evidence_upload.html):
 *   <form data-evidence-upload data-list="#list-id" data-max-bytes="…" data-msg-…="…"> … </form>
 */
(function () {
  "use strict";

  function format(template, name) {
    return (template || "").replace("%(name)s", name);
  }

  function setup(form) {
    var input = form.querySelector('input[type="file"]');
    var drop = form.querySelector(".evidence-drop");
    var progress = form.querySelector("progress");
    var status = form.querySelector(".evidence-status");
    var button = form.querySelector("[data-upload-button]");
    var maxBytes = parseInt(form.dataset.maxBytes || "0", 10);
    var queue = [];
    var busy = false;

    if (button) {
      button.hidden = true; // files upload as soon as they are chosen or dropped
    }

    function announce(text, isError) {
      if (!status) {
        return;
      }
      var line = document.createElement("div");
      line.textContent = text;
      if (isError) {
        line.className = "text-danger";
      }
      status.appendChild(line);
    }

    function showProgress(percent) {
      if (!progress) {
        return;
      }
      progress.hidden = false;
      progress.value = percent;
    }

    function replaceList(html) {
      // The answer is our own server-rendered (auto-escaped) file list. It is parsed into an inert document
      // (nothing in it runs or loads there), and only an element with the list's own id replaces the list.
      var target = document.querySelector(form.dataset.list);
      if (!target) {
        return;
      }
      var parsed = new DOMParser().parseFromString(html, "text/html");
      var fresh = parsed.getElementById(target.id);
      if (fresh) {
        target.replaceWith(document.adoptNode(fresh));
      }
      // Out-of-band parts of the answer (a dossier section's state and what it still needs) replace the
      // page's element with the same id, and only that.
      parsed.querySelectorAll("[data-hx-swap-oob][id]").forEach(function (part) {
        var current = document.getElementById(part.id);
        if (current && part.id !== target.id) {
          part.removeAttribute("data-hx-swap-oob");
          current.replaceWith(document.adoptNode(part));
        }
      });
    }

    function next() {
      if (busy || queue.length === 0) {
        if (!busy && progress) {
          progress.hidden = true;
        }
        return;
      }
      var file = queue.shift();
      if (maxBytes && file.size > maxBytes) {
        announce(format(form.dataset.msgTooLarge, file.name), true);
        next();
        return;
      }
      busy = true;
      var data = new FormData();
      form.querySelectorAll('input[type="hidden"]').forEach(function (hidden) {
        data.append(hidden.name, hidden.value);
      });
      data.append("file", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("HX-Request", "true");
      var token = form.querySelector('input[name="csrfmiddlewaretoken"]');
      if (token) {
        request.setRequestHeader("X-CSRFToken", token.value);
      }
      announce(format(form.dataset.msgUploading, file.name), false);
      showProgress(0);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          showProgress(Math.round((event.loaded / event.total) * 100));
        }
      });
      request.addEventListener("load", function () {
        busy = false;
        if (request.status === 200) {
          showProgress(100);
          replaceList(request.responseText);
          announce(format(form.dataset.msgDone, file.name), false);
        } else if (request.status === 400 || request.status === 403) {
          announce(request.responseText || format(form.dataset.msgFailed, file.name), true);
        } else {
          announce(format(form.dataset.msgFailed, file.name), true);
        }
        next();
      });
      request.addEventListener("error", function () {
        busy = false;
        announce(format(form.dataset.msgFailed, file.name), true);
        next();
      });
      request.send(data);
    }

    function enqueue(files) {
      if (status) {
        status.textContent = "";
      }
      Array.prototype.forEach.call(files, function (file) {
        queue.push(file);
      });
      next();
    }

    input.addEventListener("change", function () {
      if (input.files && input.files.length) {
        enqueue(input.files);
        input.value = "";
      }
    });

    form.addEventListener("submit", function (event) {
      // With JavaScript the chosen files are already on their way; keep Enter from posting them twice.
      event.preventDefault();
      if (input.files && input.files.length) {
        enqueue(input.files);
        input.value = "";
      }
    });

    if (drop) {
      ["dragenter", "dragover"].forEach(function (name) {
        drop.addEventListener(name, function (event) {
          event.preventDefault();
          drop.classList.add("border-primary", "bg-body-tertiary");
        });
      });
      ["dragleave", "drop"].forEach(function (name) {
        drop.addEventListener(name, function (event) {
          event.preventDefault();
          drop.classList.remove("border-primary", "bg-body-tertiary");
        });
      });
      drop.addEventListener("drop", function (event) {
        if (event.dataTransfer && event.dataTransfer.files.length) {
          enqueue(event.dataTransfer.files);
        }
      });
    }
  }

  function init(root) {
    (root || document).querySelectorAll("form[data-evidence-upload]").forEach(function (form) {
      if (!form.dataset.evidenceReady) {
        form.dataset.evidenceReady = "1";
        setup(form);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else {
    init();
  }
  // Drop zones that arrive in htmx swaps (the dossier pages) are set up too.
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
}());

// The page's own behaviour: CSRF header on htmx requests, error messages, the drop zone,
// live progress from the job's event stream, and focus moves for the citation viewer.
(function () {
  "use strict";

  var SUFFIXES = [".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt", ".text"];
  var TERMINAL = ["job.completed", "job.failed", "job.cancelled"];
  var EVENT_TYPES = ["job.queued", "job.started", "job.progress", "job.needs_review"]
    .concat(TERMINAL);
  var STAGES = {
    ingest: "Reading and indexing the documents",
    screen_documents: "Screening passages for instructions aimed at the agents",
    redact: "Pseudonymizing personal data",
    retrieve: "Retrieving passages for each section",
    summarize: "Writing the summary",
    check_compliance: "Checking citations and drafting policy",
    human_review: "Applying the review decision",
    finalize: "Finalizing: anchoring citations, rendering"
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  function showError(message) {
    var box = document.getElementById("errors");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
  }

  function clearError() {
    var box = document.getElementById("errors");
    if (box) { box.hidden = true; box.textContent = ""; }
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    var token = csrfToken();
    if (token) { evt.detail.headers["X-CSRF-Token"] = token; }
  });
  document.addEventListener("htmx:beforeRequest", clearError);
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status === 401) { window.location.assign("/"); return; }
    var message = "The request failed (HTTP " + xhr.status + ").";
    try {
      var problem = JSON.parse(xhr.responseText);
      if (problem && problem.detail) { message = problem.detail; }
    } catch (ignored) { /* not a problem document; keep the generic message */ }
    showError(message);
  });
  document.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached. Check the connection and try again.");
  });

  // Drop zone ------------------------------------------------------------------------------

  function accepted(file) {
    var name = file.name.toLowerCase();
    return SUFFIXES.some(function (suffix) { return name.endsWith(suffix); });
  }

  function readAll(reader) {
    // readEntries hands out a directory's entries in batches until it returns none.
    return new Promise(function (resolve, reject) {
      var all = [];
      (function next() {
        reader.readEntries(function (batch) {
          if (!batch.length) { resolve(all); return; }
          all = all.concat(batch);
          next();
        }, reject);
      })();
    });
  }

  function walk(entry) {
    if (entry.isFile) {
      return new Promise(function (resolve) {
        entry.file(function (file) { resolve([file]); }, function () { resolve([]); });
      });
    }
    if (entry.isDirectory) {
      return readAll(entry.createReader()).then(function (entries) {
        return Promise.all(entries.map(walk)).then(function (lists) {
          return [].concat.apply([], lists);
        });
      });
    }
    return Promise.resolve([]);
  }

  function droppedFiles(dataTransfer) {
    var items = dataTransfer.items;
    if (items && items.length && items[0].webkitGetAsEntry) {
      var entries = [];
      for (var i = 0; i < items.length; i++) {
        var entry = items[i].webkitGetAsEntry();
        if (entry) { entries.push(entry); }
      }
      if (entries.length) {
        return Promise.all(entries.map(walk)).then(function (lists) {
          return [].concat.apply([], lists);
        });
      }
    }
    return Promise.resolve(Array.prototype.slice.call(dataTransfer.files || []));
  }

  function describeFiles(input) {
    var summary = document.getElementById("file-summary");
    var list = document.getElementById("file-list");
    if (!summary || !list) { return; }
    list.textContent = "";
    var files = Array.prototype.slice.call(input.files || []);
    files.forEach(function (file) {
      var item = document.createElement("li");
      item.textContent = file.name;
      list.appendChild(item);
    });
    summary.textContent = files.length === 0 ? "No documents chosen."
      : files.length + (files.length === 1 ? " document" : " documents") + " ready to submit.";
  }

  function useFiles(input, files) {
    var transfer = new DataTransfer();
    var left = [];
    files.forEach(function (file) {
      if (accepted(file)) { transfer.items.add(file); } else { left.push(file.name); }
    });
    input.files = transfer.files;
    describeFiles(input);
    if (left.length) {
      var names = left.slice(0, 5).join(", ") + (left.length > 5 ? " and " +
        (left.length - 5) + " more" : "");
      showError("Left out " + names + ": only PDF, Word, HTML, Markdown and text documents " +
        "can be summarized.");
    }
  }

  function setUpDropZone() {
    var zone = document.getElementById("dropzone");
    var input = document.getElementById("files");
    var folder = document.getElementById("folder");
    if (!zone || !input) { return; }
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (evt) {
        evt.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (evt) {
      evt.preventDefault();
      zone.classList.remove("dragging");
      clearError();
      droppedFiles(evt.dataTransfer).then(function (files) { useFiles(input, files); });
    });
    input.addEventListener("change", function () {
      clearError();
      useFiles(input, Array.prototype.slice.call(input.files || []));
    });
    if (folder) {
      folder.addEventListener("change", function () {
        clearError();
        useFiles(input, Array.prototype.slice.call(folder.files || []));
        folder.value = "";
      });
    }
    document.body.addEventListener("htmx:afterRequest", function (evt) {
      if (evt.detail.elt && evt.detail.elt.id === "submit-form" && evt.detail.successful) {
        input.value = "";
        describeFiles(input);
      }
    });
  }

  // Live progress --------------------------------------------------------------------------

  var stream = null;

  function describe(event, seen) {
    var data = event.data || {};
    switch (event.type) {
      case "job.queued":
        return data.review ? "Reviewer decided: " + data.review + "; queued to resume"
          : "Queued";
      case "job.started":
        return data.resumed ? "Resumed by a worker (attempt " + data.attempt + ")"
          : "Started";
      case "job.progress": {
        var stage = data.stage || "step";
        var round = (seen[stage] = (seen[stage] || 0) + 1);
        var text = STAGES[stage] || stage;
        if (round > 1) {
          text = (stage === "summarize" ? "Revising the summary" : text) +
            " (round " + round + ")";
        }
        if (typeof data.duration_ms === "number") {
          text += " — done in " + (data.duration_ms / 1000).toFixed(1) + " s";
        }
        return text;
      }
      case "job.needs_review": {
        var count = (data.findings || []).length;
        return "Waiting for human review (" + count + " finding" + (count === 1 ? "" : "s") + ")";
      }
      case "job.completed": return "Completed";
      case "job.failed": return "Failed: " + (data.message || data.code || "unknown error");
      case "job.cancelled": return "Cancelled";
      default: return event.type;
    }
  }

  function refreshJob(jobId) {
    htmx.ajax("GET", "/ui/jobs/" + encodeURIComponent(jobId),
      { source: document.body, target: "#job", swap: "innerHTML" });
    htmx.trigger(document.body, "jobs-changed");
  }

  function follow(panel) {
    if (stream) { stream.close(); stream = null; }
    var steps = panel.querySelector("#progress-steps");
    var now = panel.querySelector("#progress-now");
    var bar = panel.querySelector("#progress-bar");
    var status = panel.getAttribute("data-status");
    var renderedAfter = Number(panel.getAttribute("data-last-event") || 0);
    var jobId = panel.getAttribute("data-job-id");
    var seen = {};
    var source = new EventSource(panel.getAttribute("data-stream"));
    stream = source;

    function onEvent(message) {
      var event = JSON.parse(message.data);
      var item = document.createElement("li");
      item.textContent = describe(event, seen);
      item.setAttribute("data-type", event.type);
      if (event.data && event.data.stage) { item.setAttribute("data-stage", event.data.stage); }
      steps.appendChild(item);
      steps.scrollTop = steps.scrollHeight;
      if (event.id > renderedAfter) { now.textContent = item.textContent; }
      if (event.data && typeof event.data.progress === "number") { bar.value = event.data.progress; }
      if (event.type === "job.completed") { bar.value = 1; }
      var done = TERMINAL.indexOf(event.type) >= 0;
      if (done || event.type === "job.needs_review") {
        panel.setAttribute("data-followed-to", String(event.id));
      }
      if (done) { source.close(); if (stream === source) { stream = null; } }
      // Only what happened after this panel was drawn can make it stale.
      if (event.id > renderedAfter && event.data && event.data.status &&
          event.data.status !== status) {
        if (done || event.type === "job.needs_review") {
          source.close();
          if (stream === source) { stream = null; }
          refreshJob(jobId);
        }
        status = event.data.status;
      }
    }

    EVENT_TYPES.forEach(function (type) { source.addEventListener(type, onEvent); });
  }

  // Citations ------------------------------------------------------------------------------

  function showPassage(container) {
    var heading = container.querySelector("#source-heading");
    var mark = container.querySelector("#cited-quote");
    if (mark) { mark.scrollIntoView({ block: "center" }); }
    if (heading) { heading.focus({ preventScroll: true }); }
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    if (elt && elt.classList && elt.classList.contains("cite")) {
      document.querySelectorAll(".cite[aria-current]").forEach(function (b) {
        b.removeAttribute("aria-current");
      });
      elt.setAttribute("aria-current", "true");
    }
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.detail.target;
    if (!target) { return; }
    if (target.id === "source") { showPassage(target); }
    if (target.id === "job") {
      var panel = target.querySelector("#job-panel");
      if (panel) {
        follow(panel);
        var requester = evt.detail.requestConfig && evt.detail.requestConfig.elt;
        // A person who chose the job, or acted on it, continues from its heading.
        if (requester && requester !== document.body) {
          var heading = panel.querySelector("#job-heading");
          if (heading) { heading.focus(); }
        }
      }
    }
  });

  document.addEventListener("DOMContentLoaded", setUpDropZone);
})();

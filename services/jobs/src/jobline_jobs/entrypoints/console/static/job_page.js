// The job page: a file dropped on the upload area goes into its file input (checked
// against the API's size and type rules before it is sent; the API stays the authority),
// buttons that open an action dialog, and the page read again when a dialog closes.
(function () {
  "use strict";

  function check(input) {
    const out = document.getElementById("upload-check");
    const file = input.files && input.files[0];
    let problem = "";
    if (file) {
      const accepted = input.accept.split(",");
      const max = Number(input.dataset.maxBytes);
      if (file.type && !accepted.includes(file.type)) {
        problem = `${file.name} is not a JPEG, PNG or WebP image or a PDF.`;
      } else if (file.size > max) {
        problem = `${file.name} is larger than the upload limit of ${(max / 1048576).toFixed(1)} MiB.`;
      }
    }
    input.setCustomValidity(problem);
    out.textContent = problem;
    out.hidden = !problem;
    return !problem;
  }

  document.addEventListener("change", (event) => {
    if (event.target.id === "upload-file") check(event.target);
  });

  document.addEventListener("submit", (event) => {
    const input = event.target.querySelector && event.target.querySelector("#upload-file");
    if (input && !check(input)) event.preventDefault();
  });

  function zoneOf(event) {
    return event.target instanceof Element ? event.target.closest("[data-dropzone]") : null;
  }

  ["dragenter", "dragover"].forEach((type) => document.addEventListener(type, (event) => {
    const zone = zoneOf(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("over");
  }));

  document.addEventListener("dragleave", (event) => {
    const zone = zoneOf(event);
    if (zone) zone.classList.remove("over");
  });

  document.addEventListener("drop", (event) => {
    const zone = zoneOf(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("over");
    const input = zone.querySelector("input[type=file]");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      check(input);
      input.focus();
    }
  });

  // After a dialog's action the page shows its effect: read the page again, keep focus.
  function refresh() {
    const page = document.getElementById("job-page");
    if (!page) return;
    const focused = document.activeElement && document.activeElement.id;
    htmx.ajax("GET", page.dataset.jobUrl, { target: "#job-page", select: "#job-page", swap: "outerHTML" })
      .then(() => {
        const back = focused && document.getElementById(focused);
        if (back) back.focus();
      });
  }

  // "close" does not bubble: listen in the capture phase, after console.js moved focus.
  document.addEventListener("close", (event) => {
    if (event.target instanceof HTMLDialogElement) setTimeout(refresh, 0);
  }, true);

  document.addEventListener("click", async (event) => {
    const button = event.target instanceof Element && event.target.closest("button[data-open-dialog]");
    if (!button) return;
    const host = document.getElementById("dialog-host");
    if (host.querySelector("dialog[open]")) return;
    await htmx.ajax("GET", button.dataset.openDialog, { target: host, swap: "innerHTML" });
    const dialog = host.querySelector("dialog");
    if (!dialog) return;
    dialog.addEventListener("close", () => { host.innerHTML = ""; }, { once: true });
    dialog.showModal();
    const first = dialog.querySelector("[autofocus]");
    if (first) first.focus();
  });
})();

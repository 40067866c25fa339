// Progressive enhancement only: every page works without this file.
// htmx requests carry the CSRF token from <body hx-headers>.

// Enter in a search box (data-submit-with="<button id>") presses its own search button rather
// than sending the whole form with its first action (saving a profile, say).
document.addEventListener(
  "keydown",
  (event) => {
    if (event.key !== "Enter" || !(event.target instanceof Element)) return;
    const box = event.target.closest("[data-submit-with]");
    if (!box) return;
    const button = document.getElementById(box.getAttribute("data-submit-with"));
    const form = box.closest("form");
    if (!button || !form) return;
    event.preventDefault();
    event.stopPropagation();
    // A gcds-button's own button is in its shadow root: send the form as it would.
    const submitter = document.createElement("button");
    submitter.type = "submit";
    submitter.name = button.getAttribute("name") || "";
    submitter.value = button.getAttribute("value") || "";
    submitter.hidden = true;
    form.appendChild(submitter);
    submitter.click();
    submitter.remove();
  },
  true,
);

// Copy buttons: <button data-copy="element-id"> copies that element's text to the clipboard, and says so.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const status = document.getElementById(button.dataset.copyStatus || "");
    if (status) status.textContent = button.dataset.copied || "Copied.";
  });
});

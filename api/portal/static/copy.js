// Copy buttons: <button data-copy="element-id"> copies that element's text to the clipboard and says so; where the
// browser refuses, the text is selected instead, ready for Ctrl+C.
function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const status = document.getElementById(button.dataset.copyStatus || "");
  if (!navigator.clipboard) {
    selectText(source);
    return;
  }
  navigator.clipboard.writeText(source.textContent.trim()).then(
    () => {
      if (status) status.textContent = button.dataset.copied || "Copied.";
    },
    () => selectText(source),
  );
});

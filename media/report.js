// The report webview's only script: forwards button clicks to the extension and scrolls to claims.
// Messages are the FromWebview / ToWebview types in src/extension/reportPanel.ts.
(function () {
  const vscode = acquireVsCodeApi();
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const claim = button.dataset.claim === undefined ? undefined : Number(button.dataset.claim);
    switch (button.dataset.action) {
      case 'rerun':
        vscode.postMessage({ type: 'rerun', claim });
        break;
      case 'rerun-all':
        vscode.postMessage({ type: 'rerun' });
        break;
      case 'reveal':
        vscode.postMessage({ type: 'reveal', line: Number(button.dataset.line) });
        break;
      case 'rerun-at-counterexample':
        vscode.postMessage({ type: 'rerun-at-counterexample', claim });
        break;
      case 'copy-json':
      case 'copy-numpy':
        vscode.postMessage({ type: button.dataset.action, claim });
        break;
      case 'export':
        vscode.postMessage({ type: 'export', format: button.dataset.format });
        break;
    }
  });
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m && m.type === 'scrollTo') {
      const el = document.getElementById(m.anchor);
      if (el) {
        el.scrollIntoView({ block: 'start' });
        el.classList.add('focus');
      }
    }
  });
})();

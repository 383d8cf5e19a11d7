const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

/** A complete, self-contained HTML page (no scripts, so the CSP stays strict). */
export function renderPage(title: string, paragraphs: string[]): string {
  return renderHtmlPage(title, paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n'));
}

/** The same page around body HTML the caller has already escaped. */
export function renderHtmlPage(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${bodyHtml}
</body>
</html>
`;
}

/** Folding: runs of comment lines, statements spread over several lines, and paragraphs (lines between blank lines). */
import type { DocumentAnalysis } from './document';

export interface Fold {
  /** 1-based lines, inclusive. */
  startLine: number;
  endLine: number;
  kind: 'comment' | 'region';
}

export function foldingRanges(doc: DocumentAnalysis): Fold[] {
  const lines = doc.text.split('\n');
  const out: Fold[] = [];
  const seen = new Set<string>();
  const add = (startLine: number, endLine: number, kind: Fold['kind']): void => {
    const key = `${startLine}:${endLine}`;
    if (endLine > startLine && !seen.has(key)) {
      seen.add(key);
      out.push({ startLine, endLine, kind });
    }
  };
  let commentStart = 0;
  let paragraphStart = 0;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    const comment = t.startsWith('#') || t.startsWith('%');
    if (comment && !commentStart) commentStart = line;
    if (!comment && commentStart) {
      add(commentStart, line - 1, 'comment');
      commentStart = 0;
    }
    if (t !== '' && !paragraphStart) paragraphStart = line;
    if (t === '' && paragraphStart) {
      add(paragraphStart, line - 1, 'region');
      paragraphStart = 0;
    }
  });
  if (commentStart) add(commentStart, lines.length, 'comment');
  if (paragraphStart) add(paragraphStart, lines[lines.length - 1] === '' ? lines.length - 1 : lines.length, 'region');
  for (const st of doc.statements) add(doc.file.lineCol(st.span.start).line, doc.file.lineCol(st.span.end).line, 'region');
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}

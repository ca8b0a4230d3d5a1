/** Inlay hints: the shape of each `let`, after its name (`let f: R^n = softmax(A x)`). */
import { shapeText } from '../language/shape';
import type { DocumentAnalysis } from './document';

export interface InlayHint {
  /** Offset the hint is shown at. */
  at: number;
  label: string;
}

export function inlayHints(doc: DocumentAnalysis, from = 0, to = Infinity): InlayHint[] {
  const out: InlayHint[] = [];
  for (const l of doc.analysis.program.lets) {
    const s = doc.symbols.global(l.name);
    if (!s || s.kind !== 'let' || s.nameSpan.end < from || s.nameSpan.end > to) continue;
    out.push({ at: s.nameSpan.end, label: `: ${shapeText(l.expr.shape)}` });
  }
  return out;
}

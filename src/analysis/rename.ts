/**
 * Renaming a symbol: every occurrence (juxtaposed ones like the A of `Ax` included), refused with a
 * reason when the new name is not a name, is taken, or would change what the file means — the
 * renamed text is analysed again and must resolve every renamed occurrence to the renamed symbol
 * with the same diagnostics as before.
 */
import type { Span } from '../language/diagnostics';
import { FUNCTIONS } from '../symbolic/ops';
import { KEYWORDS } from './builtins';
import { type DocumentAnalysis, analyzeDocument } from './document';
import { type SymbolInfo, occurrenceAt, occurrencesOf } from './symbols';

export interface TextEdit {
  span: Span;
  newText: string;
}

/** Names the parser gives a meaning of its own. */
const TAKEN = new Set(['R', 'I', 'T', 'in', ...KEYWORDS.map((k) => k.word), ...FUNCTIONS.keys(), 'lipschitz']);

/** The symbol under the cursor that can be renamed, with the span of its name there. */
export function renameTarget(doc: DocumentAnalysis, offset: number): { symbol: SymbolInfo; span: Span } | undefined {
  const o = occurrenceAt(doc.symbols, offset);
  return o ? { symbol: o.symbol, span: o.span } : undefined;
}

export class RenameError extends Error {}

export function rename(doc: DocumentAnalysis, offset: number, newName: string): TextEdit[] {
  const target = renameTarget(doc, offset);
  if (!target) throw new RenameError('nothing to rename here: put the cursor on a declared name');
  const { symbol } = target;
  if (newName === symbol.name) return [];
  if (!/^\p{L}[\p{L}0-9]*$/u.test(newName) || /[ᵢⱼᵣᵤᵥₐₑₒₓₕₖₗₘₙₚₛₜℝ∇]/u.test(newName))
    throw new RenameError(`'${newName}' is not a name: a letter, then letters or digits`);
  if (TAKEN.has(newName) || (symbol.kind === 'dim' && newName === 'x'))
    throw new RenameError(`'${newName}' has a meaning of its own in .loss files`);
  if (doc.symbols.global(newName) || doc.symbols.symbols.some((s) => s.name === newName && s.scope))
    throw new RenameError(`'${newName}' is already declared`);
  const edits = occurrencesOf(doc.symbols, symbol).map((o) => ({ span: o.span, newText: newName }));
  const renamed = applyEdits(doc.text, edits);
  const after = analyzeDocument(renamed);
  const diagnostics = (d: DocumentAnalysis): string[] => d.analysis.diagnostics.map((x) => `${x.code}@${x.severity}`);
  const moved = (span: Span): number => {
    let shift = 0;
    for (const e of edits) if (e.span.end <= span.start) shift += e.newText.length - (e.span.end - e.span.start);
    return span.start + shift;
  };
  // Every name must read as before: the renamed ones as the new name, all others unchanged (a
  // juxtaposed product such as Ay would read as one name if y were renamed... or A to Ay).
  const renamedAt = new Set(edits.map((e) => e.span.start));
  const resolvesAgain =
    after.symbols.occurrences.length === doc.symbols.occurrences.length &&
    doc.symbols.occurrences.every((o) => {
      const now = occurrenceAt(after.symbols, moved(o.span));
      return (
        now !== undefined &&
        now.symbol.name === (renamedAt.has(o.span.start) ? newName : o.symbol.name) &&
        now.symbol.kind === o.symbol.kind
      );
    });
  if (!resolvesAgain || diagnostics(after).join() !== diagnostics(doc).join())
    throw new RenameError(
      `renaming '${symbol.name}' to '${newName}' would change what the file means (a juxtaposed product such as Ax would read differently)`,
    );
  return edits;
}

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.span.start - a.span.start))
    out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.end);
  return out;
}

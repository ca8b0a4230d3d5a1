/** Signature help inside a call: the built-in or `def` function being called and which argument the cursor is in. */
import { BUILTIN_BY_NAME } from './builtins';
import type { DocumentAnalysis } from './document';

export interface SignatureInfo {
  label: string;
  params: string[];
  documentation: string;
  activeParameter: number;
}

export function signatureAt(doc: DocumentAnalysis, offset: number): SignatureInfo | undefined {
  const before = doc.tokens.before(offset);
  let depth = 0;
  let commas = 0;
  for (let i = before.length - 1; i >= 0; i--) {
    const t = before[i]!;
    if (t.kind === 'newline') {
      if (depth === 0) return undefined;
      continue;
    }
    if (t.kind !== 'op') continue;
    if (t.text === ')' || t.text === ']' || t.text === '}') depth++;
    else if (t.text === '[' || t.text === '{') depth = Math.max(0, depth - 1);
    else if (t.text === ',' && depth === 0) commas++;
    else if (t.text === '(') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const fn = before[i - 1];
      if (!fn || fn.kind !== 'ident') return undefined;
      const builtin = BUILTIN_BY_NAME.get(fn.text);
      if (builtin)
        return {
          label: `${builtin.name}(${builtin.params.join(', ')})`,
          params: builtin.params,
          documentation: builtin.summary,
          activeParameter: Math.min(commas, builtin.params.length - 1),
        };
      const def = doc.symbols.global(fn.text);
      if (def?.kind === 'def') {
        const params = /\(([^)]*)\)/.exec(def.detail)?.[1]?.split(', ').filter(Boolean) ?? [];
        return {
          label: def.detail.replace(/^def /, ''),
          params,
          documentation: `${def.detail}: applied elementwise`,
          activeParameter: Math.min(commas, Math.max(0, params.length - 1)),
        };
      }
      return undefined;
    }
  }
  return undefined;
}

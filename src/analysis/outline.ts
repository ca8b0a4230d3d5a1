/** The outline: each statement as a symbol (claims by their text), with its declared items below `dim`/`const`. */
import type { Span } from '../language/diagnostics';
import type { DocumentAnalysis } from './document';
import type { SymbolKind } from './symbols';

export interface OutlineItem {
  name: string;
  kind: SymbolKind | 'claim' | 'sweep';
  detail: string;
  span: Span;
  selection: Span;
  children?: OutlineItem[];
}

export function outline(doc: DocumentAnalysis): OutlineItem[] {
  const out: OutlineItem[] = [];
  for (const st of doc.statements) {
    switch (st.kind) {
      case 'dim':
      case 'const':
        for (const item of st.items) {
          const s = doc.symbols.global(item.name);
          if (s)
            out.push({ name: s.name, kind: s.kind, detail: s.detail.replace(/^\w+ \S+ /, ''), span: item.span, selection: s.nameSpan });
        }
        break;
      case 'decl':
      case 'let':
      case 'loss':
      case 'def': {
        const s = doc.symbols.global(st.name);
        if (s && s.span === st.span)
          out.push({ name: s.name, kind: s.kind, detail: s.detail.replace(/^\w+ \S+ ?:? ?/, ''), span: st.span, selection: s.nameSpan });
        break;
      }
      case 'claim': {
        // A chain is one statement and a claim per link.
        const links = doc.claims.filter((x) => x.span.start >= st.span.start && x.span.end <= st.span.end);
        out.push({
          name: doc.text
            .slice(st.span.start, st.span.end)
            .replace(/^claim\s*/, '')
            .replace(/\s+/g, ' '),
          kind: 'claim',
          detail: links.length > 0 && links.every((c) => c.typed) ? [...new Set(links.map((c) => c.typed!.kind))].join(', ') : 'has errors',
          span: st.span,
          selection: st.span,
        });
        break;
      }
      case 'sweep':
        out.push({ name: 'sweep', kind: 'sweep', detail: st.items.map((i) => i.name).join(', '), span: st.span, selection: st.span });
        break;
    }
  }
  return out;
}

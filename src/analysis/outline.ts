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
        const c = doc.claims.find((x) => x.span.start === st.span.start)!;
        out.push({
          name: c.text.replace(/\s+/g, ' '),
          kind: 'claim',
          detail: c.typed ? c.typed.kind : 'has errors',
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

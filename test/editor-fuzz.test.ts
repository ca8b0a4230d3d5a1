/**
 * The editor features on hostile input: for fuzzed documents (token soup, edited examples, deep
 * nesting, random Unicode) every feature answers without an exception, and formatting stays
 * idempotent and keeps every token.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeActions } from '../src/analysis/actions';
import { complete } from '../src/analysis/completion';
import { analyzeDocument } from '../src/analysis/document';
import { foldingRanges } from '../src/analysis/folding';
import { formatDocument } from '../src/analysis/format';
import { highlightTokens } from '../src/analysis/highlight';
import { inlayHints } from '../src/analysis/inlay';
import { outline } from '../src/analysis/outline';
import { signatureAt } from '../src/analysis/signature';
import { lex } from '../src/language/lexer';
import { hoverMarkdown } from '../src/server/hover';
import { fuzzInputs } from './fuzzgen';
import { rng } from './helpers';

test('400 fuzzed documents: every editor feature answers, formatting keeps tokens and is idempotent', () => {
  const failures: string[] = [];
  const next = rng(7);
  for (const input of fuzzInputs(20261130, 400)) {
    try {
      const doc = analyzeDocument(input);
      highlightTokens(doc);
      outline(doc);
      foldingRanges(doc);
      inlayHints(doc);
      for (let k = 0; k < 3; k++) {
        const at = Math.floor(next() * (input.length + 1));
        complete(doc, at);
        signatureAt(doc, at);
        hoverMarkdown(doc, at, () => undefined);
      }
      for (const d of doc.analysis.diagnostics.slice(0, 2)) codeActions(doc, d.span);
      const formatted = formatDocument(input);
      const tokens = (t: string): string =>
        lex(t, [])
          .filter((x) => x.kind !== 'newline' && x.kind !== 'eof')
          .map((x) => `${x.kind}:${x.text}`)
          .join(' ');
      if (tokens(formatted) !== tokens(input)) failures.push(`formatting changed the tokens of ${JSON.stringify(input.slice(0, 200))}`);
      else if (formatDocument(formatted) !== formatted)
        failures.push(`formatting is not idempotent on ${JSON.stringify(input.slice(0, 200))}`);
    } catch (e) {
      failures.push(`${(e as Error).stack?.split('\n').slice(0, 4).join(' | ')}\n--- input: ${JSON.stringify(input.slice(0, 200))}`);
    }
  }
  assert.deepEqual(failures.slice(0, 3), []);
});

/**
 * The printed-derivative round trip: a file's derivatives printed as claims (derive --claims),
 * appended to it, analysed again, and each claim decided in-process — by hash-consing (planClaims's
 * `proved`) or else by the exact identity test (numeric/exact.ts). `holds` is not enough: a printed
 * form must be the same rational function as the derivative it prints.
 */
import { derivedClaims } from '../src/app/derivedClaims';
import { testIdentity } from '../src/numeric/exact';
import { buildCheckParams } from '../src/numeric/request';
import { analyze } from '../src/symbolic/analyze';

export interface RoundTrip {
  /** The appended statements. */
  claims: string[];
  /** Claims not proved, each with why (empty when every one is proved). */
  failures: string[];
  /** How many were proved by one canonical form, and how many by the exact test. */
  byCanonicalForm: number;
  byExactTest: number;
}

export async function roundTrip(text: string, seed = 1, latex = false): Promise<RoundTrip> {
  const a = analyze(text);
  if (!a.lowered || !a.derivatives) throw new Error(`the file does not analyse: ${a.diagnostics.map((d) => d.message).join('; ')}`);
  const claims = derivedClaims(a.lowered, a.derivatives, latex);
  const appended = `${text}\n${claims.join('\n')}\n`;
  const b = analyze(appended);
  const errors = b.diagnostics.filter((d) => d.severity === 'error');
  if (!b.plans || !b.lowered || !b.derivatives || errors.length > 0)
    return {
      claims,
      failures: errors.map((d) => `${d.message} at ${JSON.stringify(appended.slice(d.span.start, d.span.end).slice(0, 120))}`),
      byCanonicalForm: 0,
      byExactTest: 0,
    };
  const first = a.program.claims.length;
  const plans = b.plans.slice(first);
  const failures: string[] = [];
  let byCanonicalForm = 0;
  let byExactTest = 0;
  const pending = plans.filter((p) => !(p.kind === 'identity' && p.proved));
  byCanonicalForm = plans.length - pending.length;
  for (const p of pending) if (p.kind !== 'identity') failures.push(`${p.claim.text}: planned as ${p.kind}`);
  const identities = pending.filter((p) => p.kind === 'identity');
  if (identities.length > 0) {
    const params = buildCheckParams(b.program, b.lowered, b.derivatives, identities, { seed, budget: 'quick' });
    for (const [k, c] of params.claims.entries()) {
      if (c.kind !== 'identity') continue;
      const r = await testIdentity(params.ir, params, c.lhs, c.rhs, seed + k);
      if (r.kind === 'equal') byExactTest++;
      else failures.push(`${identities[k]!.claim.text.slice(0, 300)}: ${JSON.stringify(r)}`);
    }
  }
  return { claims, failures, byCanonicalForm, byExactTest };
}

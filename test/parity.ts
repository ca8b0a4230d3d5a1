/**
 * Compares two evaluators' answers to the same request (the same driver on the CPU and the Python
 * evaluator): same verdicts, the same summary text, and every number (evidence, counterexample
 * points and values, eigenvectors, numbers in the summary) equal to a documented tolerance.
 */
import type { CheckResult, ClaimResult } from '../src/numeric/protocol';

/** Relative difference, measured against the larger magnitude (and `floor` near zero). */
function close(a: number, b: number, rtol: number, floor: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b), floor);
}

/** Largest |x| in a JSON value: the scale against which its entries' rounding is judged. */
function magnitude(v: unknown): number {
  if (typeof v === 'number') return Math.abs(v);
  if (Array.isArray(v)) return v.reduce((m: number, x) => Math.max(m, magnitude(x)), 0);
  if (v && typeof v === 'object') return Object.values(v).reduce((m: number, x) => Math.max(m, magnitude(x)), 0);
  return 0;
}

/**
 * Evidence that is itself a relative error (‖lhs − rhs‖/‖lhs‖, an FD error estimate, the relative
 * tolerance derived from it) measures rounding noise, which differs between any two correct
 * float64 implementations; such numbers are compared on the scale 1 they are relative to, i.e.
 * both workers must agree that the sides match to the same 1e-10.
 */
/**
 * The distance of a close pair is known to rounding of its points: relative error ~ε‖x‖/‖x − y‖,
 * about 1e-10 for pairs 1e-6 apart.
 */
const DISTANCE_RTOL = 1e-8;
/**
 * What a local search found (its point, the slack or eigenvalue there and the rounding tolerance at
 * that point) is known to this, relative to its scale: two evaluators' steps differ in the last bits,
 * and 25 steps of a search amplify that (measured: up to 4e-8 on the GMM example).
 */
const SEARCH_RTOL = 1e-6;

const RELATIVE_ERRORS = new Set([
  'maxRelativeError',
  'fdMaxRelativeError',
  'relativeError',
  'fdRelativeError',
  'symbolicVsFd',
  'fdErrorEstimate',
  'roundingBound',
]);

/**
 * The gap between two sides over their rounding-error bound: the gap is itself known only to
 * within that bound, so two evaluators agree on the ratio to ±1 (and beyond, to 1e-6 relative).
 */
function closeRatio(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1 + 1e-6 * Math.max(Math.abs(a), Math.abs(b));
}

function compareJson(path: string, a: unknown, b: unknown, rtol: number, floor: number, out: string[]): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (!close(a, b, rtol, floor)) out.push(`${path}: ${a} vs ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      out.push(`${path}: length ${a.length} vs ${b.length}`);
      return;
    }
    // Entries of one vector or matrix are compared on the scale of the whole.
    const scale = Math.max(floor, magnitude(a), magnitude(b));
    a.forEach((x, i) => compareJson(`${path}[${i}]`, x, b[i], rtol, scale, out));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys)
      compareJson(`${path}.${k}`, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rtol, floor, out);
    return;
  }
  if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/g;

/** One unit in the last printed digit of a number as the summary wrote it (toPrecision, toExponential). */
function lastDigit(text: string): number {
  const [mantissa, exponent] = text.replace('-', '').split('e');
  const decimals = mantissa!.includes('.') ? mantissa!.split('.')[1]!.length : 0;
  return 10 ** (Number(exponent ?? 0) - decimals);
}

/**
 * Summaries must read the same; their numbers may differ by one unit in the last printed digit (two
 * values equal to 1e-10 can round apart) or by 1e-10 absolute (relative errors at rounding level).
 */
export function compareSummaries(a: string, b: string): string | undefined {
  const [na, nb] = [a.match(NUMBER) ?? [], b.match(NUMBER) ?? []];
  if (a.replace(NUMBER, '#') !== b.replace(NUMBER, '#') || na.length !== nb.length) return `"${a}" vs "${b}"`;
  const bad = na.findIndex((x, i) => Math.abs(Number(x) - Number(nb[i])) > Math.max(lastDigit(x), lastDigit(nb[i]!)) * 1.0001 + 1e-10);
  return bad >= 0 ? `"${a}" vs "${b}" (${na[bad]} vs ${nb[bad]})` : undefined;
}

/** Differences between two results, each as "path: value vs value"; empty when they agree. */
export function compareResults(a: CheckResult, b: CheckResult, rtol: number): string[] {
  const out: string[] = [];
  if (a.claims.length !== b.claims.length) return [`claims: ${a.claims.length} vs ${b.claims.length}`];
  a.claims.forEach((ca, i) => {
    const cb = b.claims[i]!;
    // Evidence computed from finite differences says how far two evaluators may take it apart.
    const accuracy = Number(ca.evidence['accuracy'] ?? 0);
    if (accuracy > rtol) return compareClaimWith(ca, cb, accuracy, out);
    compareClaimWith(ca, cb, rtol, out);
  });
  return out;
}

function compareClaimWith(ca: ClaimResult, cb: ClaimResult, rtol: number, out: string[]): void {
  {
    const at = `claim ${ca.index}`;
    if (ca.verdict !== cb.verdict) out.push(`${at}.verdict: ${ca.verdict} vs ${cb.verdict}`);
    const summary = compareSummaries(ca.summary, cb.summary);
    if (summary) out.push(`${at}.summary: ${summary}`);
    const identity = 'maxRelativeError' in ca.evidence || 'relativeError' in ca.evidence;
    // An eigenvalue is known to rounding of the matrix entries (tolerance = 1e-9·max|M_ij|·rows);
    // a slack to rounding of the two sides (tolerance = 1e-9·max(|lhs|, |rhs|)).
    const scale = typeof ca.evidence['tolerance'] === 'number' && !identity ? ca.evidence['tolerance'] * 1e9 : 0;
    // A Lipschitz ratio of a close pair is known to its rounding noise (ratioNoise, from ‖F‖/‖x − y‖):
    // the ratio, the slack bound/ratio and the counterexample's ratio agree within twice that.
    const noise = Math.max(Number(ca.evidence['ratioNoise'] ?? 0), Number(cb.evidence['ratioNoise'] ?? 0));
    const ratio = Number(ca.evidence['bestRatio']);
    const withinNoise = (key: string, x: unknown, y: unknown): boolean => {
      if (!(noise > 0) || typeof x !== 'number' || typeof y !== 'number') return false;
      const allowed = key === 'slack' ? (2 * noise * Math.abs(x)) / ratio : key === 'bestRatio' || key === 'ratio' ? 2 * noise : -1;
      return Math.abs(x - y) <= allowed + rtol * Math.abs(x);
    };
    for (const key of new Set([...Object.keys(ca.evidence), ...Object.keys(cb.evidence)])) {
      const [x, y] = [ca.evidence[key], cb.evidence[key]];
      if (withinNoise(key, x, y) || key === 'ratioNoise') continue;
      if (key === 'distance' && typeof x === 'number' && typeof y === 'number' && Math.abs(x - y) <= DISTANCE_RTOL * Math.abs(x)) continue;
      // Finite differences are known to their error estimate (identity tolerance = 10× it):
      // two FD measurements agree when they differ by less than twice that estimate.
      if (
        key.startsWith('fd') &&
        typeof x === 'number' &&
        typeof y === 'number' &&
        Math.abs(x - y) <= Math.max(rtol, Number(ca.evidence['fdTolerance'] ?? ca.evidence['tolerance']) / 5)
      )
        continue;
      if (key === 'gapToBound' && typeof x === 'number' && typeof y === 'number' && closeRatio(x, y)) continue;
      const relative = RELATIVE_ERRORS.has(key) || (identity && key === 'tolerance');
      const found = key === 'minEigenvalue' || key === 'smallestSlack' || key === 'tolerance';
      const floor = relative ? 1 : found ? scale : 0;
      compareJson(`${at}.evidence.${key}`, x, y, found && 'restarts' in ca.evidence ? Math.max(rtol, SEARCH_RTOL) : rtol, floor, out);
    }
    if (ca.counterexample || cb.counterexample) {
      const values = { ...ca.counterexample?.values };
      const other = { ...cb.counterexample?.values };
      if (withinNoise('ratio', values['ratio'], other['ratio'])) (delete values['ratio'], delete other['ratio']);
      const [d1, d2] = [values['distance'], other['distance']];
      if (typeof d1 === 'number' && typeof d2 === 'number' && Math.abs(d1 - d2) <= DISTANCE_RTOL * Math.abs(d1))
        (delete values['distance'], delete other['distance']);
      for (const key of ['relativeError', 'tolerance', 'roundingBound']) {
        if (
          typeof values[key] === 'number' &&
          typeof other[key] === 'number' &&
          Math.abs((values[key] as number) - (other[key] as number)) <= rtol
        )
          (delete values[key], delete other[key]);
      }
      // Where a local search found the counterexample, its point is known to SEARCH_RTOL: a step whose
      // gain sits at the acceptance threshold (1e-9 relative) may be taken by one evaluator only.
      const { point: pa, other: oa, ...restA } = ca.counterexample ?? {};
      const { point: pb, other: ob, ...restB } = cb.counterexample ?? {};
      const searched = 'restarts' in ca.evidence;
      compareJson(`${at}.counterexample.point`, { pa, oa }, { pa: pb, oa: ob }, searched ? Math.max(rtol, SEARCH_RTOL) : rtol, 0, out);
      compareJson(`${at}.counterexample`, { ...restA, values }, { ...restB, values: other }, rtol, 0, out);
    }
  }
}

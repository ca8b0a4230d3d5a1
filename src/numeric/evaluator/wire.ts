/**
 * JSON for evaluator messages. JSON has no NaN or ±Infinity, yet a non-finite value is an answer the
 * driver must see as such (never as null, never as agreement): such numbers travel as {"$f": "NaN"},
 * {"$f": "Infinity"} or {"$f": "-Infinity"} — an object, so no name or string can be mistaken for one.
 */

export function encodeNumbers(x: unknown): unknown {
  if (typeof x === 'number') return Number.isFinite(x) ? x : { $f: String(x) };
  if (Array.isArray(x)) return x.map(encodeNumbers);
  if (x instanceof Float64Array) return Array.from(x, (v) => (Number.isFinite(v) ? v : { $f: String(v) }));
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, encodeNumbers(v)]));
  return x;
}

export function decodeNumbers(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(decodeNumbers);
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (typeof o['$f'] === 'string' && Object.keys(o).length === 1) return Number(o['$f']);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decodeNumbers(v)]));
  }
  return x;
}

/**
 * `lipschitz(F) <= bound`: ‖F(x) − F(y)‖ / ‖x − y‖ over far pairs (independent draws of the vars,
 * same data) and near pairs (small steps), then ascent on the ratio from the largest ones, every
 * restart in lockstep, moving both points and — identically for both — the data.
 */
import type { Handle, Quantity } from '../evaluator/api';
import type { ClaimResult, Plot } from '../protocol';
import { ROUNDING_RTOL } from './identity';
import { SIGNIFICANT_RATIO } from './search';
import { type ClaimEnv, NonFinite, STREAM, argsort, nonFiniteWord, quantityName } from './session';

interface Pairs {
  p: Handle;
  q: Handle;
  count: number;
}

interface Ratio {
  ratio: number;
  dist: number;
  error?: NonFinite;
}

export async function lipschitz(
  env: ClaimEnv,
  of: Quantity,
  boundQ: Quantity,
  lossRoot: number,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const a = env.arrays;
  const { pairs: count, restarts, steps } = env.budget;
  const total = count + restarts * steps;

  /** The ratio of each pair; a non-finite value of F is the pair's error (checked in pair order by the caller). */
  const ratios = async (pairs: Pairs, where: (i: number) => string): Promise<Ratio[]> => {
    const dist = await a.distances({ of: pairs.p }, { of: pairs.q }, env.varNames);
    const fp = await a.evaluate({ of: pairs.p }, of);
    const fq = await a.evaluate({ of: pairs.q }, of);
    const [np, nq] = [await a.norms({ of: fp }, 'norm'), await a.norms({ of: fq }, 'norm')];
    const diff = await a.linear([
      { of: fp, coef: 1 },
      { of: fq, coef: -1 },
    ]);
    const op = await a.norms({ of: diff }, 'opNorm');
    await a.release([fp, fq, diff]);
    return dist.map((d, i) => {
      if (d === 0) return { ratio: 0, dist: d };
      for (const n of [np[i]!, nq[i]!]) {
        if (!Number.isFinite(n))
          return { ratio: NaN, dist: d, error: new NonFinite(`${nonFiniteWord(n)} in the ${quantityName(of)} at ${where(i)}`) };
      }
      return { ratio: op[i]! / d, dist: d };
    });
  };

  await env.tick(0, total);
  const first = await env.sample(STREAM.pair, 1);
  const bound = (await a.values({ of: first }, boundQ))[0]!;
  if (!Number.isFinite(bound)) throw new NonFinite(`${nonFiniteWord(bound)} in the bound at sample 1`);
  const P = await env.sample(STREAM.pair, count);
  const evens = Array.from({ length: Math.ceil(count / 2) }, (_, j) => 2 * j);
  const odds = Array.from({ length: Math.floor(count / 2) }, (_, j) => 2 * j + 1);
  // Far pairs: a second independent draw of the vars, same data.
  const others = await a.sample(evens.map((i) => [env.index, STREAM.pairOther, i]));
  const far = await a.assign({ of: P, rows: evens }, { of: others }, env.varNames);
  // Near pairs: a small step, from 1e-1 down to 1e-4 of the point's scale.
  const dirs = await a.directions(
    odds.map((i) => [env.index, STREAM.pairOther, i]),
    env.varNames,
  );
  const scale = await a.distances({ of: P, rows: odds }, undefined, env.varNames);
  const near = await a.move(
    { of: P, rows: odds },
    { of: dirs },
    odds.map((i, j) => 10 ** (-1 - (3 * ((i >> 1) % 7)) / 6) * Math.max(1, scale[j]!)),
    env.varNames,
    true,
  );
  const Q = await a.gather(
    Array.from({ length: count }, (_, i) => (i % 2 === 0 ? { of: far, rows: [i / 2] } : { of: near, rows: [(i - 1) / 2] })),
  );
  const pairs: Pairs = { p: P, q: Q, count };
  const lossP = await a.values({ of: P }, { kind: 'expr', root: lossRoot });
  const lossQ = await a.values({ of: Q }, { kind: 'expr', root: lossRoot });
  const found = await ratios(pairs, (i) => `pair ${i + 1}`);
  for (let i = 0; i < count; i++) {
    for (const l of [lossP[i]!, lossQ[i]!]) {
      if (!Number.isFinite(l))
        throw new NonFinite(`${nonFiniteWord(l)} in the loss at pair ${i + 1}: the domain includes points where L is undefined`);
    }
    if (found[i]!.error) throw found[i]!.error;
    partial['pairs'] = i + 1;
    partial['bestRatio'] = Math.max(...found.slice(0, i + 1).map((x) => x.ratio));
  }
  const scatter = { x: found.map((x) => x.dist), y: found.map((x) => x.ratio) };
  const order = argsort(
    found.map((x) => x.ratio),
    true,
  );
  const R = Math.min(restarts, count);
  let cur: Pairs = {
    p: await a.gather([{ of: P, rows: order.slice(0, R) }]),
    q: await a.gather([{ of: Q, rows: order.slice(0, R) }]),
    count: R,
  };
  const state = order.slice(0, R).map((i) => found[i]!);
  const stepOf = state.map((x) => 0.1 * Math.max(x.dist, 1e-6));
  const errors: (NonFinite | undefined)[] = state.map(() => undefined);

  for (let s = 0; s < steps; s++) {
    const live = state.flatMap((_, r) => (errors[r] ? [] : [r]));
    if (!live.length) break;
    await env.tick(count + s, total);
    const stream = (r: number, which: number): number[] => [env.index, STREAM.search, r, s, which];
    const dp = await a.directions(
      live.map((r) => stream(r, 0)),
      env.varNames,
    );
    const dq = await a.directions(
      live.map((r) => stream(r, 1)),
      env.varNames,
    );
    const stepsLive = live.map((r) => stepOf[r]!);
    let p = await a.move({ of: cur.p, rows: live }, { of: dp }, stepsLive, env.varNames, true);
    let q = await a.move({ of: cur.q, rows: live }, { of: dq }, stepsLive, env.varNames, true);
    if (env.searchGivens.length) {
      // The data moves too, identically for both points of the pair.
      const dg = await a.directions(
        live.map((r) => stream(r, 2)),
        env.searchGivens,
      );
      p = await a.move({ of: p }, { of: dg }, stepsLive, env.searchGivens, true);
      q = await a.assign({ of: q }, { of: p }, env.searchGivens);
    }
    const got = await ratios({ p, q, count: live.length }, () => `ascent step ${s + 1}`);
    const accepted = new Map<number, number>();
    live.forEach((r, j) => {
      const g = got[j]!;
      if (g.error) {
        errors[r] = g.error;
        return;
      }
      if (g.ratio > state[r]!.ratio * (1 + SIGNIFICANT_RATIO)) {
        state[r] = g;
        accepted.set(r, j);
        stepOf[r]! *= 1.5;
      } else stepOf[r]! /= 2;
    });
    if (accepted.size) {
      const pick = (moved: Handle, old: Handle) =>
        a.gather(state.map((_, r) => (accepted.has(r) ? { of: moved, rows: [accepted.get(r)!] } : { of: old, rows: [r] })));
      const next = { p: await pick(p, cur.p), q: await pick(q, cur.q), count: R };
      await a.release([cur.p, cur.q]);
      cur = next;
    }
  }
  let best = { ...found[order[0]!]!, pairs, row: order[0]! };
  for (let r = 0; r < R; r++) {
    if (errors[r]) throw errors[r];
    if (state[r]!.ratio > best.ratio) best = { ...state[r]!, pairs: cur, row: r };
  }
  partial['bestRatio'] = best.ratio;
  const slack = best.ratio !== 0 ? bound / best.ratio : Infinity;
  const evidence = { pairs: count, restarts, bestRatio: best.ratio, bound, slack, distance: best.dist };
  const plots: Plot[] = [
    {
      title: 'Lipschitz ratio vs distance',
      xLabel: '‖x − y‖',
      yLabel: 'ratio',
      logX: true,
      logY: true,
      series: [{ label: 'pairs', ...scatter }],
      reference: { label: `claimed bound ${bound.toPrecision(4)}`, y: bound },
    },
  ];
  if (best.ratio > bound * (1 + ROUNDING_RTOL)) {
    return {
      index: env.index,
      verdict: 'refuted',
      summary: `ratio ${best.ratio.toPrecision(6)} exceeds the bound ${bound.toPrecision(6)} (by ${(best.ratio / bound).toPrecision(3)}×)`,
      evidence,
      plots,
      counterexample: {
        point: await env.pointJson(best.pairs.p, best.row),
        other: await env.pointJson(best.pairs.q, best.row, true),
        values: { ratio: best.ratio, bound, distance: best.dist },
      },
    };
  }
  return {
    index: env.index,
    verdict: 'holds',
    summary: `largest ratio found ${best.ratio.toPrecision(6)} ≤ bound ${bound.toPrecision(6)} (slack ${slack.toPrecision(3)}×)`,
    evidence,
    plots,
  };
}

/**
 * The op registry, built explicitly (no registration by import side effect): OPS has one OpDef
 * per IR kind — TypeScript checks that none is missing — and FUNCTIONS one FunctionDef per
 * built-in function name of the language. `opDef` is how every consumer (differentiation,
 * printing, evaluation, export, wire format) reaches an op, and fails naming the op.
 */
import type { FunctionTable } from '../../language/functions';
import { InternalError, type Kind, type NodeOf } from '../ir';
import { addOp, divideOp, hadamardOp, matmulOp, powOp, scaleOp, transposeOp } from './arith';
import { CONSTANT_FUNCTIONS, lambdaMaxOp, lambdaMinOp, maxOp, minOp, normInfOp, sigmaMaxOp, sigmaMinOp } from './constants';
import { DIAG_FUNCTIONS, diagOp, diagvecOp } from './diag';
import { elementwiseFunctions, fnOp } from './fn';
import { KRON_FUNCTIONS, kronOp } from './kron';
import { constOp, givenOp, identityOp, indexValueOp, numOp, onesOp, unitOp, varOp, zerosOp } from './leaves';
import { LINALG_FUNCTIONS, detOp, invOp, logdetOp } from './linalg';
import { REDUCE_FUNCTIONS, innerOp, logsumexpOp, normOp, sumOp, traceOp } from './reduce';
import { indexSumOp, rowBlockOp, sliceOp } from './slice';
import { SOFTMAX_FUNCTIONS, normalizeOp, softmaxOp } from './softmax';
import type { FunctionDef, OpDef, OpTable } from './types';
import { VEC_FUNCTIONS, commutationOp, unvecOp, vecOp } from './vec';

export { ALMOST_EVERYWHERE, ELEMENTWISE } from './elementwise';
export type { EvalContext, ExportContext, FunctionDef, Kernel, LinearAlgebra, OpDef, PrintContext } from './types';

export const OPS: OpTable = {
  var: varOp,
  given: givenOp,
  const: constOp,
  num: numOp,
  identity: identityOp,
  ones: onesOp,
  zeros: zerosOp,
  unit: unitOp,
  indexValue: indexValueOp,
  commutation: commutationOp,
  add: addOp,
  scale: scaleOp,
  matmul: matmulOp,
  hadamard: hadamardOp,
  divide: divideOp,
  transpose: transposeOp,
  pow: powOp,
  kron: kronOp,
  inner: innerOp,
  sum: sumOp,
  trace: traceOp,
  norm: normOp,
  logsumexp: logsumexpOp,
  diag: diagOp,
  diagvec: diagvecOp,
  vec: vecOp,
  unvec: unvecOp,
  softmax: softmaxOp,
  normalize: normalizeOp,
  fn: fnOp,
  slice: sliceOp,
  rowBlock: rowBlockOp,
  indexSum: indexSumOp,
  det: detOp,
  logdet: logdetOp,
  inv: invOp,
  sigmaMax: sigmaMaxOp,
  sigmaMin: sigmaMinOp,
  lambdaMax: lambdaMaxOp,
  lambdaMin: lambdaMinOp,
  normInf: normInfOp,
  max: maxOp,
  min: minOp,
};

export function opDef<K extends Kind>(node: NodeOf<K>): OpDef<K> {
  const def = (OPS as unknown as Record<string, OpDef<K> | undefined>)[node.kind];
  if (!def) throw new InternalError(`op '${node.kind}' is not in the registry (src/symbolic/ops/index.ts)`);
  return def;
}

function table(entries: [string, FunctionDef][]): ReadonlyMap<string, FunctionDef> {
  const out = new Map<string, FunctionDef>();
  for (const [name, def] of entries) {
    if (out.has(name)) throw new InternalError(`built-in function '${name}' is defined twice`);
    out.set(name, def);
  }
  return out;
}

/** Built-in functions of the language, by the name written in a .loss file. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> & FunctionTable = table([
  ...elementwiseFunctions(),
  ...REDUCE_FUNCTIONS,
  ...DIAG_FUNCTIONS,
  ...VEC_FUNCTIONS,
  ...KRON_FUNCTIONS,
  ...SOFTMAX_FUNCTIONS,
  ...LINALG_FUNCTIONS,
  ...CONSTANT_FUNCTIONS,
]);

/** Attributes the wire format carries, over all ops. */
export const WIRE_ATTRS: readonly string[] = [...new Set(Object.values(OPS).flatMap((d) => d.attrs ?? []))];

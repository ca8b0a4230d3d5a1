/**
 * What the checker needs to know about a built-in function: its arity and shape rule. The language
 * layer only declares the interface; the table comes from the op registry (src/symbolic/ops), where
 * each function's shape rule sits beside its derivative, kernels and printers, and is passed to
 * `parse` and `typecheckSource`.
 */
import type { DiagnosticCode } from './diagnostics';
import type { Shape } from './shape';

export interface SignatureError {
  code: DiagnosticCode;
  message: string;
}

export interface FunctionSignature {
  arity: number;
  /** The result's shape, or why these arguments do not fit (`text` is how each argument was written). */
  shape(args: readonly Shape[], text: readonly string[]): Shape | SignatureError;
  /** Its value on constant arguments (dims, consts, numbers), for `const R = exp(1)`. */
  constant?(args: readonly number[]): number | undefined;
  /** Applied entry by entry to scalars, so usable in a `def` body. */
  elementwise?: boolean;
}

export type FunctionTable = ReadonlyMap<string, FunctionSignature>;

export function isSignatureError(r: Shape | SignatureError): r is SignatureError {
  return 'message' in r;
}

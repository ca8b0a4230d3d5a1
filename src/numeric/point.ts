/** Loss, stacked gradient and full Hessian at one point, in variable order (matrix vars vec'd). */
import type { LoweredProgram, Derivatives } from '../symbolic/lower';
import { compile, type CompiledPlan, type Values } from './evaluate';
import { EvaluationPlanner } from './optimize';

export interface PointValues {
  loss: number;
  grad: Float64Array;
  /** Row-major N×N. */
  hess: Float64Array;
  n: number;
}

export class DerivativePlan {
  private readonly plan: CompiledPlan;
  readonly sizes: number[];

  constructor(
    lowered: LoweredProgram,
    derivatives: Derivatives,
    /** Skip the Hessian when only loss and gradient are needed (finite differences of the gradient). */
    readonly withHessian = true,
  ) {
    this.sizes = lowered.vars.map((v) => v.shape.rows.value * v.shape.cols.value);
    const roots = [lowered.loss, ...derivatives.grads, ...(withHessian ? derivatives.hess.flat() : [])];
    this.plan = compile(new EvaluationPlanner(lowered.graph).optimize(roots));
  }

  get dimension(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  evaluate(inputs: Values): PointValues {
    const out = this.plan.run(inputs);
    const k = this.sizes.length;
    const n = this.dimension;
    const grad = new Float64Array(n);
    let offset = 0;
    for (let a = 0; a < k; a++) {
      grad.set(out[1 + a]!, offset);
      offset += this.sizes[a]!;
    }
    const hess = new Float64Array(this.withHessian ? n * n : 0);
    if (this.withHessian) {
      let rowOffset = 0;
      for (let a = 0; a < k; a++) {
        let colOffset = 0;
        for (let b = 0; b < k; b++) {
          const block = out[1 + k + a * k + b]!;
          const [ra, cb] = [this.sizes[a]!, this.sizes[b]!];
          // Blocks are column-major ra×cb; the assembled Hessian is row-major.
          for (let j = 0; j < cb; j++) for (let i = 0; i < ra; i++) hess[(rowOffset + i) * n + colOffset + j] = block[i + j * ra]!;
          colOffset += cb;
        }
        rowOffset += this.sizes[a]!;
      }
    }
    return { loss: out[0]![0]!, grad, hess, n };
  }
}

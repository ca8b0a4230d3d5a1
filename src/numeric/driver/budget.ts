/** How hard checks try, by budget name or a number of points. */
import type { Budget } from '../protocol';

export interface BudgetPlan {
  /** Sample points for identities, eigenvalue and inequality searches. */
  points: number;
  /** Local searches started from the worst samples. */
  restarts: number;
  /** Steps per local search. */
  steps: number;
  /** Point pairs for Lipschitz ratios. */
  pairs: number;
}

const MAX_RESTARTS = 16;

export function budgetPlan(b: Budget): BudgetPlan {
  // Local searches grow with the points up to 16: past that, more samples find more than more descents.
  if (typeof b === 'number') return { points: b, restarts: Math.min(MAX_RESTARTS, Math.max(2, Math.ceil(b / 8))), steps: 25, pairs: 2 * b };
  switch (b) {
    case 'quick':
      return { points: 8, restarts: 2, steps: 10, pairs: 16 };
    case 'default':
      return { points: 32, restarts: 4, steps: 25, pairs: 64 };
    case 'thorough':
      return { points: 128, restarts: 8, steps: 60, pairs: 256 };
  }
}

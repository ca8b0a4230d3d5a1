/**
 * Recording of evaluator traffic: every op with its arguments and answer (or error), one JSON line
 * each, non-finite numbers encoded as in wire.ts. The golden vectors in test/golden/ are such logs,
 * made on the CPU evaluator; every evaluator must reproduce their answers (test/golden.test.ts,
 * python/tests/test_golden.py), and python/replay.py times a log on a GPU machine without Node.
 */
import { appendFileSync } from 'node:fs';
import type { Evaluator, OpAnswer, OpArgs, OpName } from './api';
import { SamplingFailed } from './api';
import { encodeNumbers } from './wire';

export interface RecordedOp {
  op: OpName;
  args: unknown;
  answer?: unknown;
  error?: { sampling: boolean; message: string };
}

export class RecordingEvaluator implements Evaluator {
  constructor(
    private readonly inner: Evaluator,
    private readonly write: (line: string) => void,
  ) {}

  /** Appends to a file. */
  static toFile(inner: Evaluator, path: string): RecordingEvaluator {
    return new RecordingEvaluator(inner, (line) => appendFileSync(path, line));
  }

  get info() {
    return this.inner.info;
  }

  async run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpAnswer<K>> {
    const entry: RecordedOp = { op, args: encodeNumbers(args) };
    try {
      const answer = await this.inner.run(op, args);
      entry.answer = encodeNumbers(answer);
      return answer;
    } catch (e) {
      entry.error = { sampling: e instanceof SamplingFailed, message: (e as Error).message };
      throw e;
    } finally {
      this.write(`${JSON.stringify(entry)}\n`);
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

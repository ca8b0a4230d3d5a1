/**
 * The CPU worker: a separate Node process serving the protocol in protocol.ts over stdio.
 * Bundled to dist/worker.js; the CLI and the extension start it.
 */
import { CancellationToken, ResponseError, createMessageConnection, ErrorCodes } from 'vscode-jsonrpc/node';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { budgetPlan, runClaim } from './checks';
import { Model } from './model';
import {
  PROTOCOL_VERSION,
  type CheckParams,
  type CheckResult,
  type ClaimResult,
  checkRequest,
  initializeRequest,
  progressNotification,
} from './protocol';
import { DEFAULT_MEMORY_LIMIT_BYTES, estimateBytes, formatBytes } from './request';
import { Sampler, SamplingError, irCentre } from './sampling';

const BACKEND = 'cpu-node';
const DEVICE = `CPU (Node ${process.version}, ${process.arch})`;
/** Yield to the event loop at least this often, so $/cancelRequest is seen promptly. */
const YIELD_MS = 10;
const PROGRESS_MS = 100;

class Cancelled extends Error {}

/** JSON-RPC's RequestCancelled (LSP's value; vscode-jsonrpc 8 does not export it). */
export const REQUEST_CANCELLED = -32800;

export async function check(
  params: CheckParams,
  token: CancellationToken,
  progress: (claim: number, done: number, total: number) => void,
): Promise<CheckResult> {
  const model = new Model(params);
  const centre = irCentre(params.ir);
  const sampler = new Sampler(params.sampling, params.seed, centre);
  const budget = budgetPlan(params.budget);
  const claims: ClaimResult[] = [];
  let lastYield = Date.now();
  let lastProgress = 0;
  for (const claim of params.claims) {
    const tick = async (done: number, total: number): Promise<void> => {
      const now = Date.now();
      if (now - lastYield >= YIELD_MS) {
        await new Promise((r) => setImmediate(r));
        lastYield = Date.now();
      }
      if (token.isCancellationRequested) throw new Cancelled();
      if (now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        progress(claim.index, done, total);
      }
    };
    const deadline = params.timeLimitMs ? Date.now() + params.timeLimitMs : Infinity;
    try {
      // A claim with its own domain (`claim … for …`) samples and projects within it.
      const own = claim.sampling && {
        model: new Model({ ...params, sampling: claim.sampling }),
        sampler: new Sampler(claim.sampling, params.seed, centre),
      };
      claims.push(await runClaim({ model: own?.model ?? model, sampler: own?.sampler ?? sampler, budget, tick, deadline }, claim));
    } catch (e) {
      if (e instanceof SamplingError) {
        claims.push({
          index: claim.index,
          verdict: 'inconclusive',
          summary: `sampling failed: ${e.message}`,
          evidence: { reason: e.message },
        });
      } else throw e;
    }
    progress(claim.index, 1, 1);
  }
  return { backend: BACKEND, device: DEVICE, claims };
}

function main(): void {
  const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  connection.onRequest(initializeRequest, (p) => {
    if (p.protocolVersion !== PROTOCOL_VERSION)
      throw new ResponseError(ErrorCodes.InvalidParams, `protocol ${p.protocolVersion} requested; this worker speaks ${PROTOCOL_VERSION}`);
    return { protocolVersion: PROTOCOL_VERSION, backend: BACKEND, device: DEVICE };
  });
  connection.onRequest(checkRequest, async (params, token) => {
    const need = estimateBytes(params);
    const limit = params.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    if (need > limit)
      throw new ResponseError(
        ErrorCodes.InvalidParams,
        `this check needs about ${formatBytes(need)}, over the limit of ${formatBytes(limit)}`,
      );
    try {
      return await check(params, token, (claim, done, total) =>
        connection.sendNotification(progressNotification, { token: params.progressToken, claim, done, total }),
      );
    } catch (e) {
      if (e instanceof Cancelled) throw new ResponseError(REQUEST_CANCELLED, 'cancelled');
      throw new ResponseError(ErrorCodes.InternalError, `worker error: ${(e as Error).message}`);
    }
  });
  connection.onClose(() => process.exit(0));
  connection.listen();
}

if (require.main === module) main();

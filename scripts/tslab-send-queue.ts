/**
 * Makes the tslab kernel's ZeroMQ sends one at a time.
 *
 * Why: tslab 1.0.22 calls `sock.send(...)` on its iopub and shell sockets without awaiting the
 * promise. zeromq.js 6 sends synchronously 512 times in a row, then delays one send to the next
 * event-loop turn so as not to starve the loop (`max_sync_operations` in its socket.cc). A second
 * send on the same socket before that turn throws `EBUSY: Socket is busy writing`, uncaught, and the
 * kernel dies. A notebook that prints progress reaches 512 iopub messages in a few minutes; whether
 * the crash happens then depends on timing (our CI lost notebook 02 to it once, after two clean
 * passes). The fix: every send goes through a per-socket chain; a send starts directly (as before)
 * when nothing is in flight on that socket, and after the in-flight one otherwise.
 *
 * `patchTslab` rewrites node_modules/tslab/dist/jupyter.js once (idempotent, marked); setup.sh and
 * the notebook runner call it. The injected code is the string below, so that a unit test runs the
 * very code that goes into the kernel.
 */
import fs from "node:fs";
import path from "node:path";

export const PATCH_MARKER = "/* spatialedit-ts: serialised zmq sends */";

/** The line of tslab's `signAndSend` that the patch replaces. */
export const ORIGINAL_SEND = "sock.send(heads.concat(bodies));";
const PATCHED_SEND = "spatialeditQueuedSend(sock, heads.concat(bodies));";

/** JavaScript injected into jupyter.js: `spatialeditQueuedSend(sock, parts)`. */
export const QUEUED_SEND_SOURCE = `${PATCH_MARKER}
const spatialeditTails = new WeakMap(); // zeromq.js sockets are sealed: the chain lives beside them
function spatialeditQueuedSend(sock, parts) {
    const run = () => sock.send(parts);
    const prev = spatialeditTails.get(sock);
    const p = prev ? prev.then(run, run) : new Promise((resolve) => resolve(run()));
    const tail = p.then(() => undefined, (e) => {
        process.stderr.write("[tslab] zmq send failed: " + (e && e.message ? e.message : String(e)) + "\\n");
    });
    spatialeditTails.set(sock, tail);
    tail.then(() => { if (spatialeditTails.get(sock) === tail) spatialeditTails.delete(sock); });
    return tail;
}
`;

export type QueuedSend = (sock: { send(parts: unknown): Promise<void> | void }, parts: unknown) => Promise<void>;

/** The injected function, evaluated here (for tests). */
export function queuedSendFunction(): QueuedSend {
  return new Function(`${QUEUED_SEND_SOURCE}\nreturn spatialeditQueuedSend;`)() as QueuedSend;
}

export type PatchOutcome = "patched" | "already patched";

/** Patches tslab's jupyter.js under `root`; throws a clear error when the file is not the expected one. */
export function patchTslab(root: string): PatchOutcome {
  const file = path.join(root, "node_modules", "tslab", "dist", "jupyter.js");
  if (!fs.existsSync(file)) throw new Error(`tslab is not installed (${path.relative(root, file)} missing): run 'npm run setup'`);
  const src = fs.readFileSync(file, "utf8");
  if (src.includes(PATCH_MARKER)) return "already patched";
  const count = src.split(ORIGINAL_SEND).length - 1;
  if (count !== 1) {
    throw new Error(`cannot patch ${path.relative(root, file)}: expected exactly one '${ORIGINAL_SEND}', found ${count} (tslab version changed?)`);
  }
  const out = src.replace(ORIGINAL_SEND, PATCHED_SEND) + `\n${QUEUED_SEND_SOURCE}`;
  fs.writeFileSync(file, out);
  return "patched";
}

if (require.main === module) {
  console.log(`[setup] tslab zmq sends: ${patchTslab(path.resolve(__dirname, ".."))}`);
}

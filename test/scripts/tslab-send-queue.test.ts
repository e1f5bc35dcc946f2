import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ORIGINAL_SEND, PATCH_MARKER, patchTslab, queuedSendFunction } from "../../scripts/tslab-send-queue";

/** A socket that behaves like zeromq.js 6: `syncLimit` sends go out at once, the next one waits for
 * the next event-loop turn, and a send while one waits throws EBUSY (socket.cc, Socket::Send). */
class FakeZmqSocket {
  sent: string[] = [];
  private syncCount = 0;
  private writing = false;
  constructor(private readonly syncLimit: number) {}
  send(parts: string): Promise<void> {
    if (this.writing) throw Object.assign(new Error("Socket is busy writing; only one send operation may be in progress at any time"), { code: "EBUSY" });
    if (this.syncCount++ < this.syncLimit) {
      this.sent.push(parts);
      return Promise.resolve();
    }
    this.writing = true;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.syncCount = 0;
        this.writing = false;
        this.sent.push(parts);
        resolve();
      }),
    );
  }
}

const messages = Array.from({ length: 20 }, (_, i) => `m${i}`);

describe("tslab ZeroMQ send queue", () => {
  it("the fake socket reproduces the crash: a plain send after a delayed one throws EBUSY", () => {
    const sock = new FakeZmqSocket(4);
    expect(() => messages.forEach((m) => void sock.send(m))).toThrow("Socket is busy writing");
  });

  it("the injected function delivers every message once, in order, across delayed sends", async () => {
    const queued = queuedSendFunction();
    const sock = new FakeZmqSocket(4);
    const done = messages.map((m) => queued(sock, m));
    expect(sock.sent).toEqual(["m0"]); // on an idle socket the send starts at once, as before; the rest follow in order
    await Promise.all(done);
    expect(sock.sent).toEqual(messages);
  });

  it("keeps one chain per socket: a busy socket does not hold back another", async () => {
    const queued = queuedSendFunction();
    const a = new FakeZmqSocket(1);
    const b = new FakeZmqSocket(100);
    void queued(a, "a0");
    void queued(a, "a1"); // delayed
    const last = queued(a, "a2"); // waits for a1
    void queued(b, "b0");
    expect(b.sent).toEqual(["b0"]);
    expect(a.sent).toEqual(["a0"]);
    // wait for the chain itself, not for wall time: a 20 ms timer could fire before the delayed send on a loaded machine
    await last;
    expect(a.sent).toEqual(["a0", "a1", "a2"]);
  });

  it("a failing send is reported on stderr and does not stop the next one", async () => {
    const queued = queuedSendFunction();
    let calls = 0;
    const sock = { sent: [] as unknown[], send(p: unknown) { if (calls++ === 0) throw new Error("boom"); this.sent.push(p); return Promise.resolve(); } };
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    (process.stderr as { write: unknown }).write = (s: string) => (writes.push(String(s)), true);
    try {
      await queued(sock, "x");
      await queued(sock, "y");
    } finally {
      (process.stderr as { write: unknown }).write = orig;
    }
    expect(writes).toEqual(["[tslab] zmq send failed: boom\n"]);
    expect(sock.sent).toEqual(["y"]);
  });

  it("patchTslab rewrites jupyter.js once, and refuses a file it does not recognise", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "tslab-patch-"));
    const dir = path.join(root, "node_modules", "tslab", "dist");
    expect(() => patchTslab(root)).toThrow("tslab is not installed (node_modules/tslab/dist/jupyter.js missing): run 'npm run setup'");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "jupyter.js");
    fs.writeFileSync(file, `class M { signAndSend(key, sock) {\n        ${ORIGINAL_SEND}\n    } }\n`);
    expect(patchTslab(root)).toBe("patched");
    const once = fs.readFileSync(file, "utf8");
    expect(once).toContain(PATCH_MARKER);
    expect(once).not.toContain(ORIGINAL_SEND);
    expect(patchTslab(root)).toBe("already patched");
    expect(fs.readFileSync(file, "utf8")).toBe(once);
    fs.writeFileSync(file, "class M {}\n");
    expect(() => patchTslab(root)).toThrow(`cannot patch node_modules/tslab/dist/jupyter.js: expected exactly one '${ORIGINAL_SEND}', found 0 (tslab version changed?)`);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("this project's tslab is patched (setup.sh and the notebook runner apply it)", () => {
    const root = path.resolve(__dirname, "../..");
    expect(patchTslab(root)).toBe("already patched");
  });
});

/**
 * How the scheduler runs a node: `processRunner` starts one single-threaded child process per node
 * (the command comes from the caller, e.g. `node --import tsx scripts/grid.ts --run <key>`), logs its
 * output to the node's log.txt and turns its `@progress <line>` lines into the job's progress line;
 * the child's stdin is a pipe that it watches, so killing the grid stops its children too.
 * `inlineRunner` runs nodes in this process (tests, and machines where a process per node is not
 * wanted).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { progress } from "../../core/progress";
import type { GridCache } from "./cache";
import type { KeyedNode } from "./node";
import { runNode } from "./run-node";
import type { JobRunner } from "./scheduler";

/** The prefix of a progress line on a child's stdout. */
export const PROGRESS_PREFIX = "@progress ";

/** Runs nodes with `runNode` in this process. */
export function inlineRunner(cache: GridCache): JobRunner {
  return {
    async run(node, onProgress) {
      await runNode(node, cache, (total, label) => progress({ total, label: label ?? node.id, write: onProgress, intervalMs: 250 }));
    },
  };
}

export interface ChildCommand {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** Runs each node as a child process given by `commandOf(node)`; see the module comment. */
export function processRunner(cache: GridCache, commandOf: (node: KeyedNode) => ChildCommand): JobRunner {
  return {
    run(node, onProgress) {
      const c = commandOf(node);
      fs.mkdirSync(cache.nodeDir(node.key), { recursive: true });
      const log = fs.openSync(cache.logFile(node.key), "a");
      fs.writeSync(log, `# ${new Date().toISOString()} ${c.command} ${c.args.join(" ")}\n`);
      return new Promise<void>((resolve, reject) => {
        const child = spawn(c.command, c.args, { cwd: c.cwd, env: c.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
        const tail: string[] = [];
        const onData = (chunk: Buffer, partial: { text: string }): void => {
          partial.text += chunk.toString("utf8");
          const lines = partial.text.split("\n");
          partial.text = lines.pop() ?? "";
          for (const line of lines) {
            if (line.startsWith(PROGRESS_PREFIX)) {
              onProgress(line.slice(PROGRESS_PREFIX.length));
              continue;
            }
            fs.writeSync(log, `${line}\n`);
            tail.push(line);
            if (tail.length > 5) tail.shift();
          }
        };
        const out = { text: "" };
        const err = { text: "" };
        child.stdout.on("data", (b: Buffer) => onData(b, out));
        child.stderr.on("data", (b: Buffer) => onData(b, err));
        let started = true;
        let open = true;
        const closeLog = (): void => {
          if (open) fs.closeSync(log);
          open = false;
        };
        child.on("error", (e) => {
          started = false;
          closeLog();
          reject(new Error(`grid node '${node.id}': cannot start '${c.command}': ${e.message}`));
        });
        child.on("close", (code, signal) => {
          if (!started) return;
          for (const rest of [out.text, err.text]) if (rest !== "") fs.writeSync(log, `${rest}\n`);
          closeLog();
          if (code === 0 && cache.isDone(node.key)) resolve();
          else reject(new Error(`grid node '${node.id}' exited with ${signal ?? `code ${code}`}${code === 0 ? " without done.json" : ""}: ${tail.join(" | ")} (log: ${cache.logFile(node.key)})`));
        });
      });
    },
  };
}

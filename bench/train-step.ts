/**
 * bench/train-step: the reference training step (lib/train/reference.ts) on every backend and mode
 * available here, in one invocation: stock wasm (tf.train.adam), tuned wasm (pure: XNNPACK per slice),
 * tuned wasm with native OpenBLAS (with tf.train.adam, and with FusedAdam, the same update as one
 * kernel per variable, which all tuned modes use), both data-parallel over worker threads, WebGPU when an adapter exists (in a child
 * process), and PyTorch (Debian's python3-torch, one thread, a child process serving "run n steps")
 * when /usr/bin/python3 can import torch. All modes run interleaved, round by round, so that load from other processes hits them alike; the
 * median round is reported. Prints ms/step, GFLOP/s (matmul FLOPs), ratio to stock wasm and ours/PyTorch;
 * writes results/<profile>/train-step.json (or results/<profile>/<--name>.json).
 * `--workload=editor` times the editor-sized step of the sizing issue instead (EDITOR_STEP_CONFIG:
 * 4 blocks of 4 heads, d 64, FF 256, B 64, T 80) and writes results/<profile>/train-step-editor.json.
 *
 * Usage: npx tsx bench/train-step.ts [--workload=reference|editor] [--steps=20] [--stock-steps=3]
 *        [--rounds=3] [--warmup=3] [--workers=<cores>] [--no-torch] [--no-webgpu] [--name=train-step]
 */
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend/select";
import { envValue } from "../lib/core/env";
import { projectRoot } from "../lib/core/paths";
import { writeResult } from "../lib/core/results";
import { DataParallelTrainer } from "../lib/train/data-parallel";
import { registerTunedKernels, unregisterTunedKernels } from "../lib/backend/kernels/register";
import { nativeBlasStatus } from "../lib/backend/native-blas";
import { makeReferenceTask, referenceFlops, trainStepWorkload, type ReferenceConfig, type ReferenceTask, type TrainStepWorkload } from "../lib/train/reference";

const SEED = 1234;

/** Per workload: the default result name and the goal for best-TS-mode / PyTorch (issue 3: 2.0; issue 9: 1.2). */
const WORKLOAD_INFO: Record<TrainStepWorkload, { name: string; goal: number; what: string }> = {
  reference: { name: "train-step", goal: 2.0, what: "reference step" },
  editor: { name: "train-step-editor", goal: 1.2, what: "editor-sized step" },
};

function arg(name: string, def: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? def : Number(a.split("=")[1]);
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

interface ModeResult {
  mode: string;
  msPerStep: number | null;
  rounds: number[];
  gflops: number | null;
  vsStock: number | null;
  vsTorch: number | null;
  note: string;
}

interface Mode {
  name: string;
  steps: number;
  setup(): Promise<void>;
  run(n: number): Promise<void>;
  close(): Promise<void>;
  note: string;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function inProcess(name: string, cfg: ReferenceConfig, kernels: "stock" | "wasm" | "native", steps: number, optimizer: "tf" | "fused"): Mode {
  let task: ReferenceTask | null = null;
  const select = (): void => {
    if (kernels === "stock") unregisterTunedKernels();
    else registerTunedKernels({ route: kernels });
  };
  return {
    name,
    steps,
    note: `${kernels === "stock" ? "tfjs-backend-wasm 4.22 kernels" : kernels === "wasm" ? "BatchMatMul: XNNPACK per slice" : "BatchMatMul: OpenBLAS sgemm on the wasm heap"}; ${optimizer === "tf" ? "tf.train.adam" : "FusedAdam (one kernel per variable)"}`,
    setup: async () => {
      select();
      task = makeReferenceTask(cfg, SEED, optimizer);
    },
    run: async (n) => {
      select();
      for (let i = 0; i < n; i++) task!.step();
    },
    close: async () => task?.dispose(),
  };
}

function dataParallel(name: string, cfg: ReferenceConfig, workers: number, native: boolean, steps: number): Mode {
  let dp: DataParallelTrainer | null = null;
  return {
    name,
    steps,
    note: `${workers} worker threads, gradients summed in a SharedArrayBuffer; ${native ? "OpenBLAS" : "XNNPACK"} BatchMatMul`,
    setup: async () => {
      dp = await DataParallelTrainer.create({
        workers,
        factory: { module: path.join(projectRoot(), "lib", "train", "reference.ts"), export: "referenceShardTask", args: { config: cfg, seed: SEED, optimizer: "fused" } },
        env: { ...process.env, ...(native ? {} : { SPATIALEDIT_NATIVE_BLAS: "0" }), SPATIALEDIT_BACKEND: "wasm" }, // the workers parse it (lib/core/env.ts)
      });
    },
    run: async (n) => {
      for (let i = 0; i < n; i++) await dp!.step();
    },
    close: async () => dp?.close(),
  };
}

interface TorchResult {
  ok: boolean;
  why?: string;
  msPerStep?: number[];
  torch?: string;
  blas?: string;
  threads?: number;
}

/** PyTorch as one more mode: a child process that runs n steps per request (see train_step_torch.py). */
function torchMode(cfg: ReferenceConfig, steps: number, info: TorchResult): Mode {
  let child: childProcess.ChildProcessWithoutNullStreams | null = null;
  let buf = "";
  const waiters: ((line: string) => void)[] = [];
  const lines: string[] = [];
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      if (lines.length > 0) return resolve(lines.shift()!);
      waiters.push(resolve);
      child!.once("exit", (code) => reject(new Error(`PyTorch script exited (${code}): ${stderr.trim().split("\n").pop() ?? ""}`)));
    });
  let stderr = "";
  return {
    name: "PyTorch (1 thread)",
    steps,
    note: "",
    setup: async () => {
      // Debian's python3 (python3-torch); SPATIALEDIT_PYTHON names another (e.g. the GPU machine's)
      const py = envValue("SPATIALEDIT_PYTHON");
      if (!fs.existsSync(py)) throw new Error(`${py} not found`);
      const script = path.join(projectRoot(), "bench", "train_step_torch.py");
      child = childProcess.spawn(py, [script, JSON.stringify({ ...cfg, warmup: 0, threads: 1, seed: SEED, serve: true })], {
        env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" },
      });
      child.stdout.setEncoding("utf8");
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (d: string) => (stderr += d));
      child.stdout.on("data", (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const w = waiters.shift();
          if (w) w(line);
          else lines.push(line);
        }
      });
      const first = JSON.parse(await nextLine()) as TorchResult & { ready?: boolean };
      Object.assign(info, first);
      if (!first.ok) throw new Error(first.why ?? "torch unavailable");
    },
    run: async (n) => {
      child!.stdin.write(`${n}\n`);
      JSON.parse(await nextLine());
    },
    close: async () => {
      if (child && child.exitCode === null) {
        child.stdin.end("\n");
        await new Promise((r) => child!.once("exit", r));
      }
    },
  };
}

interface WebgpuResult {
  ok: boolean;
  why?: string;
  msPerStep?: number[];
  adapter?: string;
}

/** The WebGPU mode, run inside a child process (`--webgpu-child`) so that a driver crash cannot end the benchmark. */
async function webgpuChild(cfg: ReferenceConfig, steps: number, rounds: number, warmup: number): Promise<void> {
  const out: WebgpuResult = { ok: false };
  try {
    const r = await initBackend({ force: "webgpu" });
    const task = makeReferenceTask(cfg, SEED);
    for (let i = 0; i < warmup; i++) await task.stepAsync();
    const ms: number[] = [];
    for (let r2 = 0; r2 < rounds; r2++) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await task.stepAsync(); // each step reads the loss back: a full GPU sync
      ms.push((performance.now() - t0) / steps);
    }
    task.dispose();
    const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string; description?: string } }).adapterInfo;
    Object.assign(out, { ok: true, msPerStep: ms, adapter: info ? `${info.vendor ?? ""} ${info.architecture ?? ""} ${info.description ?? ""}`.trim() : r.reason });
  } catch (e) {
    out.why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  }
  process.stdout.write(`WEBGPU_RESULT ${JSON.stringify(out)}\n`);
  process.exit(0);
}

function runWebgpu(workload: string, steps: number, rounds: number, warmup: number): WebgpuResult {
  const r = childProcess.spawnSync(process.execPath, [...process.execArgv, __filename, "--webgpu-child", `--workload=${workload}`, `--steps=${steps}`, `--rounds=${rounds}`, `--warmup=${warmup}`], {
    encoding: "utf8",
    timeout: 300_000,
  });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("WEBGPU_RESULT "));
  if (line === undefined) {
    const err = (r.stderr ?? "").trim().split("\n").filter((l) => l.trim() !== "").pop();
    return { ok: false, why: `child process ended without a result (status ${r.status}, signal ${r.signal}): ${err ?? r.error?.message ?? ""}` };
  }
  return JSON.parse(line.slice("WEBGPU_RESULT ".length)) as WebgpuResult;
}

function fmt(x: number | null, digits = 1): string {
  return x === null ? "-" : x.toFixed(digits);
}

async function main(): Promise<void> {
  const workload = process.argv.find((x) => x.startsWith("--workload="))?.split("=")[1] ?? "reference";
  const cfg = trainStepWorkload(workload); // throws on an unknown name
  const info = WORKLOAD_INFO[workload as TrainStepWorkload];
  const steps = arg("steps", 20);
  const stockSteps = arg("stock-steps", 3);
  const rounds = arg("rounds", 3);
  const warmup = arg("warmup", 3);
  if (flag("webgpu-child")) return webgpuChild(cfg, steps, rounds, warmup);
  const workers = arg("workers", os.availableParallelism?.() ?? os.cpus().length);
  const name = process.argv.find((x) => x.startsWith("--name="))?.split("=")[1] ?? info.name;
  const flops = referenceFlops(cfg);
  const native = nativeBlasStatus();
  await initBackend({ force: "wasm" });

  const modes: Mode[] = [inProcess("stock wasm", cfg, "stock", stockSteps, "tf"), inProcess("tuned wasm", cfg, "wasm", steps, "fused")];
  if (native.available) {
    modes.push(inProcess("tuned wasm + OpenBLAS, tf.train.adam", cfg, "native", steps, "tf"));
    modes.push(inProcess("tuned wasm + OpenBLAS", cfg, "native", steps, "fused"));
  }
  if (workers > 1) {
    modes.push(dataParallel(`tuned wasm x${workers} workers`, cfg, workers, false, steps));
    if (native.available) modes.push(dataParallel(`tuned wasm + OpenBLAS x${workers} workers`, cfg, workers, true, steps));
  }
  console.log(
    `bench/train-step: ${info.what} (--workload=${workload}) B=${cfg.batch} T=${cfg.seq} D=${cfg.dModel} F=${cfg.dFF} layers=${cfg.layers} heads=${cfg.heads}, ${(flops / 1e9).toFixed(3)} GFLOP/step (matmuls)`,
  );
  console.log(`machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log(`native BLAS: ${native.detail}`);
  const machineNote = envValue("SPATIALEDIT_MACHINE_NOTE");
  if (machineNote !== "") console.log(`machine note: ${machineNote}`);
  const torch: TorchResult = flag("no-torch") ? { ok: false, why: "skipped (--no-torch)" } : { ok: false }; // a run that served PyTorch has no `why`
  if (!flag("no-torch")) {
    const tm = torchMode(cfg, steps, torch);
    try {
      await tm.setup();
      modes.push(tm);
    } catch (e) {
      torch.ok = false;
      torch.why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
      await tm.close().catch(() => undefined);
    }
  }
  const times = new Map<string, number[]>();
  for (const m of modes) {
    if (m.name !== "PyTorch (1 thread)") await m.setup();
    await m.run(warmup);
    times.set(m.name, []);
  }
  for (let r = 0; r < rounds; r++) {
    for (const m of modes) {
      const t0 = performance.now();
      await m.run(m.steps);
      times.get(m.name)!.push((performance.now() - t0) / m.steps);
    }
    console.log(`round ${r + 1}/${rounds}: ${modes.map((m) => `${m.name} ${fmt(times.get(m.name)![r])} ms`).join(", ")}`);
  }
  for (const m of modes) await m.close();
  unregisterTunedKernels();

  const webgpu = flag("no-webgpu") ? ({ ok: false, why: "skipped (--no-webgpu)" } as WebgpuResult) : runWebgpu(workload, steps, rounds, warmup);
  const torchTimes = times.get("PyTorch (1 thread)");
  const torchMs = torchTimes !== undefined ? median(torchTimes) : null;
  if (torchTimes !== undefined) torch.msPerStep = torchTimes;
  const stockMs = median(times.get("stock wasm")!);
  const rows: ModeResult[] = modes.filter((m) => m.name !== "PyTorch (1 thread)").map((m) => {
    const ms = median(times.get(m.name)!);
    return { mode: m.name, msPerStep: ms, rounds: times.get(m.name)!, gflops: flops / ms / 1e6, vsStock: stockMs / ms, vsTorch: torchMs === null ? null : ms / torchMs, note: m.note };
  });
  if (webgpu.ok && webgpu.msPerStep) {
    const ms = median(webgpu.msPerStep);
    rows.push({ mode: "webgpu", msPerStep: ms, rounds: webgpu.msPerStep, gflops: flops / ms / 1e6, vsStock: stockMs / ms, vsTorch: torchMs === null ? null : ms / torchMs, note: webgpu.adapter ?? "" });
  } else {
    rows.push({ mode: "webgpu", msPerStep: null, rounds: [], gflops: null, vsStock: null, vsTorch: null, note: `not run: ${webgpu.why}` });
  }
  if (torchMs !== null) {
    rows.push({ mode: "PyTorch (1 thread)", msPerStep: torchMs, rounds: torch.msPerStep!, gflops: flops / torchMs / 1e6, vsStock: stockMs / torchMs, vsTorch: 1, note: `torch ${torch.torch}, ${torch.blas}` });
  } else {
    rows.push({ mode: "PyTorch (1 thread)", msPerStep: null, rounds: [], gflops: null, vsStock: null, vsTorch: null, note: `not run: ${torch.why}` });
  }
  const w = Math.max(...rows.map((r) => r.mode.length));
  console.log("");
  console.log(`${"mode".padEnd(w)}  ms/step  GFLOP/s  x stock  ours/PyTorch`);
  for (const r of rows) {
    console.log(`${r.mode.padEnd(w)}  ${fmt(r.msPerStep).padStart(7)}  ${fmt(r.gflops).padStart(7)}  ${fmt(r.vsStock, 2).padStart(7)}  ${fmt(r.vsTorch, 2).padStart(12)}${r.msPerStep === null ? `  (${r.note})` : ""}`);
  }
  const best = rows.filter((r) => r.mode !== "PyTorch (1 thread)" && r.msPerStep !== null).sort((a, b) => a.msPerStep! - b.msPerStep!)[0];
  if (torchMs !== null) console.log(`\nbest: ${best.mode}, ${fmt(best.msPerStep)} ms/step = ${fmt(best.vsTorch, 2)}x PyTorch's time in this run (goal: <= ${info.goal.toFixed(1)}: ${best.vsTorch! <= info.goal ? "reached" : "not reached"})`);
  const file = writeResult(name, {
    config: { workload, ...cfg, steps, stockSteps, rounds, warmup, workers },
    seed: SEED,
    data: {
      gflopPerStep: flops / 1e9,
      goalVsTorch: info.goal,
      bestVsTorch: torchMs !== null && best !== undefined ? { mode: best.mode, ratio: best.vsTorch, reached: best.vsTorch! <= info.goal } : null,
      modes: rows,
      nativeBlas: native.detail,
      torch,
      webgpu,
      loadAverage: os.loadavg(),
      machineNote,
      versions: { "@tensorflow/tfjs": tf.version.tfjs, node: process.version, torch: torch.torch ?? null },
    },
  });
  console.log(`results: ${path.relative(projectRoot(), file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

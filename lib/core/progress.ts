/**
 * Progress display for long loops: a single updating line on a terminal (stderr), one
 * overwritten display entry in a notebook, plain periodic lines when output is a log file.
 *
 *   const bar = progress({ total: steps, label: "stage I" });
 *   for (...) { ...; bar.tick(1, { loss }); }
 *   bar.done();
 */
import { notebookDisplay, NotebookDisplay } from "./notebook";

export interface ProgressOptions {
  /** Number of units of work; 0 or undefined = unknown. */
  total?: number;
  label?: string;
  /** Minimum milliseconds between two redraws (default 250 on a TTY/notebook, 5000 in logs). */
  intervalMs?: number;
  /** Where lines go when not a TTY and not a notebook (default: stderr). */
  write?: (line: string) => void;
  /** Silence all output (tests). */
  silent?: boolean;
}

export interface Progress {
  /** Advances by `n` units, with optional metrics shown beside the bar. */
  tick(n?: number, metrics?: Record<string, number>): void;
  /**
   * Advances by `n` units done before this run (the steps of a resumed checkpoint): they count
   * toward the bar, not toward the rate and the time left, which only this run's work measures.
   */
  skip(n: number): void;
  /** Final line with total time; idempotent. */
  done(metrics?: Record<string, number>): void;
  readonly count: number;
  readonly elapsedMs: number;
}

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function formatMetrics(metrics: Record<string, number> | undefined): string {
  if (!metrics) return "";
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(4)}`)
    .join(" ");
}

/** The text of one progress line (pure; exported for tests). `skipped` of the `count` units were done before this run. */
export function progressLine(label: string, count: number, total: number, elapsedMs: number, metrics?: Record<string, number>, skipped = 0): string {
  const rate = elapsedMs > 0 ? ((count - skipped) * 1000) / elapsedMs : 0;
  const parts = [label];
  if (total > 0) {
    const frac = Math.min(1, count / total);
    const width = 20;
    const filled = Math.round(frac * width);
    parts.push(`[${"#".repeat(filled)}${".".repeat(width - filled)}] ${count}/${total} ${(100 * frac).toFixed(0)}%`);
    const eta = rate > 0 ? ((total - count) / rate) * 1000 : Infinity;
    parts.push(`${formatDuration(elapsedMs)}<${formatDuration(eta)}`);
  } else {
    parts.push(`${count} ${formatDuration(elapsedMs)}`);
  }
  parts.push(`${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)}/s`);
  const m = formatMetrics(metrics);
  if (m) parts.push(m);
  return parts.join(" ");
}

/** Starts a progress display (see the module comment). */
export function progress(options: ProgressOptions = {}): Progress {
  const total = options.total ?? 0;
  const label = options.label ?? "progress";
  const start = Date.now();
  const nb = options.silent ? null : notebookDisplay();
  const tty = !options.silent && nb === null && options.write === undefined && process.stderr.isTTY === true;
  const interval = options.intervalMs ?? (nb !== null || tty ? 250 : 5000);
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  let entry: NotebookDisplay | null = null;
  let count = 0;
  let skipped = 0;
  let last = 0;
  let finished = false;
  let lastMetrics: Record<string, number> | undefined;
  let nbPending = false;

  const draw = (final: boolean) => {
    if (options.silent) return;
    const line = progressLine(label, count, total, Date.now() - start, lastMetrics, skipped) + (final ? " done" : "");
    if (nb !== null) {
      // tslab sends each display over zeromq without waiting; a second send before the event loop
      // has turned (a synchronous loop) fails with "Socket is busy writing" and kills the kernel.
      // So draw only once per event-loop turn; the final line always goes out.
      if (nbPending && !final) return;
      entry ??= nb.newDisplay();
      entry.text(line);
      nbPending = true;
      setImmediate(() => {
        nbPending = false;
      });
    } else if (tty) {
      process.stderr.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    } else {
      write(line);
    }
  };

  return {
    tick(n = 1, metrics?: Record<string, number>) {
      count += n;
      if (metrics) lastMetrics = metrics;
      const now = Date.now();
      if (now - last >= interval) {
        last = now;
        draw(false);
      }
    },
    skip(n: number) {
      if (!Number.isInteger(n) || n < 0) throw new Error(`progress: skip takes a whole number of units >= 0, got ${n}`);
      count += n;
      skipped += n;
    },
    done(metrics?: Record<string, number>) {
      if (finished) return;
      finished = true;
      if (metrics) lastMetrics = metrics;
      draw(true);
    },
    get count() {
      return count;
    },
    get elapsedMs() {
      return Date.now() - start;
    },
  };
}

/** `inner` with `after` called after each of its ticks (to sample or report alongside the display). */
export function tapProgress(inner: Progress, after: () => void): Progress {
  return {
    tick(n = 1, metrics) {
      inner.tick(n, metrics);
      after();
    },
    skip(n) {
      inner.skip(n);
    },
    done(metrics) {
      inner.done(metrics);
    },
    get count() {
      return inner.count;
    },
    get elapsedMs() {
      return inner.elapsedMs;
    },
  };
}

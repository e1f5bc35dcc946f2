/**
 * A progress board for several jobs at once: one line per running job plus an overall line. On a
 * terminal the block is redrawn in place (cursor up, clear); in a log file each job's line is printed
 * when it changes, at most every `logIntervalMs` per job (its final line always). The lines come
 * from lib/core/progress displays (their `write` option).
 */
export interface BoardOptions {
  /** Redraw in place (default: stderr is a terminal). */
  tty?: boolean;
  write?: (text: string) => void;
  logIntervalMs?: number;
  silent?: boolean;
}

export class ProgressBoard {
  private readonly lines = new Map<string, string>();
  private readonly lastLogged = new Map<string, number>();
  private drawn = 0;
  private readonly tty: boolean;
  private readonly write: (text: string) => void;

  constructor(private readonly o: BoardOptions = {}) {
    this.tty = o.tty ?? process.stderr.isTTY === true;
    this.write = o.write ?? ((t) => process.stderr.write(t));
  }

  /** Sets the line of `id` (a job, or "grid" for the overall line). */
  set(id: string, line: string): void {
    this.lines.set(id, line);
    if (this.o.silent) return;
    if (this.tty) return this.redraw();
    const now = Date.now();
    const final = line.endsWith(" done");
    if (final || now - (this.lastLogged.get(id) ?? 0) >= (this.o.logIntervalMs ?? 5000)) {
      this.lastLogged.set(id, now);
      this.write(`${line}\n`);
    }
  }

  /** Removes a finished job's line (printing it once above the block on a terminal). */
  remove(id: string): void {
    const line = this.lines.get(id);
    this.lines.delete(id);
    if (this.o.silent || !this.tty || line === undefined) return;
    this.clear();
    this.write(`${line}\n`);
    this.redraw();
  }

  private clear(): void {
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const rows = [...this.lines.entries()].sort(([a], [b]) => (a === "grid" ? 1 : b === "grid" ? -1 : 0)).map(([, l]) => l);
    if (rows.length > 0) this.write(`${rows.join("\n")}\n`);
    this.drawn = rows.length;
  }
}

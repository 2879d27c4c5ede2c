/**
 * Progress reporting for benchmarks. On a terminal a transient status line is redrawn in place;
 * elsewhere (CI logs, pipes) every message is a plain line. Always stderr, so `--json` keeps
 * stdout machine-readable.
 */
export interface Progress {
  /** A permanent line. */
  line(message: string): void;
  /** A transient status (redrawn in place on a terminal). */
  status(message: string): void;
  /** Clears any transient status. */
  clear(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const interactive = stream.isTTY === true;
  let transient = false;
  const clear = () => {
    if (transient) {
      stream.write("\r\x1b[2K");
      transient = false;
    }
  };
  return {
    line(message) {
      clear();
      stream.write(`${message}\n`);
    },
    status(message) {
      if (!interactive) {
        stream.write(`${message}\n`);
        return;
      }
      const width = Math.max(20, (stream.columns ?? 100) - 1);
      stream.write(`\r\x1b[2K${message.length > width ? `${message.slice(0, width - 1)}…` : message}`);
      transient = true;
    },
    clear,
  };
}

/** A progress sink that prints nothing (for tests and library use). */
export const silentProgress: Progress = { line() {}, status() {}, clear() {} };

/**
 * Ctrl-C / SIGTERM end a benchmark cleanly: the progress line is cleared, the processes it
 * started are ended (also on any other exit), and the exit code says which signal it was.
 */
export function stopOnSignals(progress: Progress, endProcesses: () => void): void {
  const stop = (signal: NodeJS.Signals) => {
    progress.clear();
    process.stderr.write(`\n${signal}: stopping\n`);
    endProcesses();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.once("exit", endProcesses);
}

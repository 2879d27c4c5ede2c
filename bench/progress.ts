/**
 * Progress reporting for benchmarks. On a terminal a transient status line is redrawn in place;
 * elsewhere (CI logs, pipes) every message is a plain line. Always stderr, so `--json` keeps
 * stdout machine-readable.
 */
import { CommanderError } from "commander";

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

/**
 * The `main` of a benchmark or evaluation script: runs `body` (which parses its own flags and
 * returns the text to print), prints it, and turns failures into an exit code — a usage error
 * commander already printed keeps commander's code, anything else is reported as `<name> failed`.
 */
export async function runScript(name: string, body: (progress: Progress) => string | Promise<string>): Promise<void> {
  const progress = createProgress();
  try {
    process.stdout.write(`${await body(progress)}\n`);
  } catch (error) {
    progress.clear();
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}

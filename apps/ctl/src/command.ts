import type { CommandIo } from './io.js';

/** One `strait <name>` command; each lives in its own module under commands/. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. Throws UsageError for bad arguments. */
  run(args: string[], io: CommandIo): Promise<number>;
}

// Where a command writes. Commands take this instead of touching process.stdout, so tests can run
// them in-process and capture output.
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A usage problem (unknown command or flag, bad value): exit code 2, message on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

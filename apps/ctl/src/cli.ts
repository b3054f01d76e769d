// Dispatch: `strait <command> [flags]`. Usage problems exit 2 with one line on stderr; other
// failures exit 1 with the error's code when it has one (StraitError).
import { COMMANDS } from './commands/index.js';
import { type CommandIo, processIo, UsageError } from './io.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: strait <command> [flags]\n\ncommands:\n${lines.join('\n')}\n\nRun "strait <command> --help" for a command's flags.\n`;
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (command === undefined) {
      const known = COMMANDS.map((c) => c.name).join(', ');
      throw new UsageError(
        name.startsWith('-')
          ? `strait: unknown option ${name} before a command (commands: ${known})`
          : `strait: unknown command "${name}" (commands: ${known})`,
      );
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    const code = (err as { code?: unknown }).code;
    io.err(
      `strait ${name}: ${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message ?? String(err)}\n`,
    );
    return 1;
  }
}

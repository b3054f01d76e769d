// node:util parseArgs with the CLI's error wording: Node's own messages mention internals
// (ERR_PARSE_ARGS_UNKNOWN_OPTION...) and suggest "--" tricks; users get "unknown option --x".
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<const O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(message)?.[1] ?? message;
      throw new UsageError(`strait ${command}: unknown option ${flag} (see "strait ${command} --help")`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const arg = /'([^']+)'/.exec(message)?.[1] ?? message;
      throw new UsageError(`strait ${command}: unexpected argument ${arg}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(`strait ${command}: ${message.replace(/^Option /, 'option ')}`);
    }
    throw err;
  }
}

/** An integer flag value within [min, max]. */
export function intFlag(
  command: string,
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`strait ${command}: --${flag} must be an integer in ${min}..${max}, got "${value}"`);
  }
  return n;
}

// @strait/errors: the one base class of every exception Strait throws. Each package keeps its own
// errors.ts (a table of stable, prefixed codes and a subclass of StraitError); callers branch on `code`,
// never on message text. `documentedCodes` is what each package's test uses to check docs/errors.md.

/** Base of every exception Strait throws; `code` is the stable part, `context` carries data for logs. */
export class StraitError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/**
 * The codes listed in one section of an errors document: the first cell of each table row (`` | `CODE` | ``)
 * that starts with `prefix`, between the heading line `## <heading>` and the next `## `. Throws if the
 * heading is missing, so a renamed section fails loudly instead of listing nothing.
 */
export function documentedCodes(markdown: string, heading: string, prefix: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start === -1) throw new Error(`no "## ${heading}" section`);
  const codes: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    const code = /^\| `([A-Z0-9_]+)` \|/.exec(line)?.[1];
    if (code?.startsWith(prefix)) codes.push(code);
  }
  return codes;
}

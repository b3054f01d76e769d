// Installs and removes interception rules. `apply` is one atomic iptables-restore per family, so
// traffic never sees half a rule set, and re-applying keeps captured connections alive. Disabling has
// two phases: `detach` deletes the entry jumps (new connections go direct, captured ones keep draining
// through the proxy), `remove` deletes the chains after the drain window. All are idempotent.
import { NetfilterCommandFailedError } from '../errors.js';
import { type CommandRunner, runChecked, runCommand } from '../exec.js';
import { ENTRY_JUMPS, type InterceptionRules, type IptablesBinary, type IptablesCommand } from './rules.js';

export interface ApplyOptions {
  /** Run inside this named network namespace (`ip netns exec NAME ...`); default: the current one. */
  readonly netns?: string;
  /** Bound on each command, in ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Seconds to wait for the xtables lock (iptables-legacy; iptables-nft ignores it). Default 5. */
  readonly lockWaitSeconds?: number;
  /** Replaces process spawning (for callers that sandbox commands). */
  readonly run?: CommandRunner;
}

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);
// How iptables (legacy and nft) says "that rule or chain is not there".
const ABSENT = /does not exist|No chain\/target\/match by that name|Bad rule|doesn't exist/i;
// A bound on deleting duplicate entry jumps (someone else appended the same jump several times).
const MAX_DUPLICATE_DELETES = 32;

export async function apply(rules: InterceptionRules, options: ApplyOptions = {}): Promise<void> {
  for (const [binary, commands] of byBinary(rules.apply)) {
    const lines = ['*nat'];
    const wanted = new Set<string>();
    for (const { args } of commands) {
      const [op, chain, ...rest] = tableArgs(args);
      if (op === '-N') {
        // Under --noflush a chain declaration creates the chain, or flushes it when it exists: this is
        // what makes re-applying replace the old contents instead of appending a second copy.
        lines.push(`:${chain} - [0:0]`);
      } else if (op === '-A' && chain !== undefined && BUILTIN_CHAINS.has(chain)) {
        // Built-in chains are not flushed (other software owns rules there), so jumps are added only
        // when missing.
        wanted.add(key([chain, ...rest]));
        if (!(await ruleExists(binary, [chain, ...rest], options))) lines.push(restoreLine(args.slice(2)));
      } else {
        lines.push(restoreLine(args.slice(2)));
      }
    }
    // An entry jump left from an earlier config that no longer wants it (inbound turned off) goes in the
    // same transaction.
    for (const jump of Object.values(ENTRY_JUMPS)) {
      if (!wanted.has(key(jump)) && (await ruleExists(binary, jump, options)))
        lines.push(restoreLine(['-D', ...jump]));
    }
    lines.push('COMMIT', '');
    await runChecked(
      options.run ?? runCommand,
      argv(`${binary}-restore`, ['--noflush', ...lockArgs(options)], options),
      {
        input: lines.join('\n'),
        timeoutMs: timeout(options),
      },
    );
  }
}

/**
 * Stop capturing new connections (phase 1 of disabling interception): deletes the entry jumps only.
 * Connections already captured keep flowing through the proxy, which can drain them.
 */
export async function detach(
  rules: Pick<InterceptionRules, 'detach'>,
  options: ApplyOptions = {},
): Promise<void> {
  await runRemoval(rules.detach, options);
}

/**
 * Remove everything (phase 2, after the drain window): the entry jumps, then our chains. The kernel
 * drops the NAT state of connections still captured when the last REDIRECT rule goes, so those are
 * reset; detach first and wait for the drain. Also the way to clean up after a crashed agent.
 */
export async function remove(
  rules: Pick<InterceptionRules, 'remove'> | readonly IptablesCommand[],
  options: ApplyOptions = {},
): Promise<void> {
  await runRemoval('remove' in rules ? rules.remove : rules, options);
}

// Each command tolerates "absent", so removal is idempotent and finishes whatever a crash left half done.
async function runRemoval(commands: readonly IptablesCommand[], options: ApplyOptions): Promise<void> {
  const run = options.run ?? runCommand;
  for (const { binary, args } of commands) {
    const full = argv(binary, [...lockArgs(options), ...args], options);
    // -D removes one copy per call; repeat so duplicates go too.
    const attempts = tableArgs(args)[0] === '-D' ? MAX_DUPLICATE_DELETES : 1;
    for (let i = 0; i < attempts; i++) {
      const result = await run(full, { timeoutMs: timeout(options) });
      if (result.status === 0) continue;
      if (ABSENT.test(result.stderr)) break;
      throw new NetfilterCommandFailedError(full, result.status, result.stderr);
    }
  }
}

/** `iptables-save -t nat` output (or ip6tables-save), for status pages and tests. */
export async function saveNat(
  binary: IptablesBinary = 'iptables',
  options: ApplyOptions = {},
): Promise<string> {
  const full = argv(`${binary}-save`, ['-t', 'nat'], options);
  return (await runChecked(options.run ?? runCommand, full, { timeoutMs: timeout(options) })).stdout;
}

/** True when every entry jump `rules` wants is present: a cheap "is interception on?" (chain contents unchecked). */
export async function isApplied(rules: InterceptionRules, options: ApplyOptions = {}): Promise<boolean> {
  for (const { binary, args } of rules.apply) {
    const [op, chain, ...rest] = tableArgs(args);
    if (op === '-A' && chain !== undefined && BUILTIN_CHAINS.has(chain)) {
      if (!(await ruleExists(binary, [chain, ...rest], options))) return false;
    }
  }
  return true;
}

async function ruleExists(
  binary: IptablesBinary,
  rule: readonly string[],
  options: ApplyOptions,
): Promise<boolean> {
  const full = argv(binary, [...lockArgs(options), '-t', 'nat', '-C', ...rule], options);
  const result = await (options.run ?? runCommand)(full, { timeoutMs: timeout(options) });
  if (result.status === 0) return true;
  if (result.status === 1 || ABSENT.test(result.stderr)) return false;
  throw new NetfilterCommandFailedError(full, result.status, result.stderr);
}

function byBinary(commands: readonly IptablesCommand[]): Map<IptablesBinary, IptablesCommand[]> {
  const groups = new Map<IptablesBinary, IptablesCommand[]>();
  for (const c of commands) {
    const group = groups.get(c.binary) ?? [];
    group.push(c);
    groups.set(c.binary, group);
  }
  return groups;
}

/** The args after `-t nat`; every generated command targets the nat table. */
function tableArgs(args: readonly string[]): readonly string[] {
  if (args[0] !== '-t' || args[1] !== 'nat')
    throw new TypeError(`expected a nat-table command, got ${args.join(' ')}`);
  return args.slice(2);
}

// iptables-restore splits lines on whitespace and has its own quoting; generated args never need it,
// and anything that would is refused rather than mangled.
function restoreLine(args: readonly string[]): string {
  for (const a of args) {
    if (a === '' || /[\s"'#]/.test(a))
      throw new TypeError(`iptables argument ${JSON.stringify(a)} cannot go into iptables-restore`);
  }
  return args.join(' ');
}

function key(rule: readonly string[]): string {
  return rule.join('\u0000');
}

function argv(command: string, args: readonly string[], options: ApplyOptions): string[] {
  return options.netns === undefined
    ? [command, ...args]
    : ['ip', 'netns', 'exec', options.netns, command, ...args];
}

function lockArgs(options: ApplyOptions): string[] {
  return ['-w', String(options.lockWaitSeconds ?? 5)];
}

function timeout(options: ApplyOptions): number {
  return options.timeoutMs ?? 10_000;
}

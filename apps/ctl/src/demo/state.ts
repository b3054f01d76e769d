// Where a running demo can be found: `state.json` in its temp dir, read by `strait status`. The temp
// dir (and so the file) is removed when the demo stops; a file whose pid is gone is ignored.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEMP_PREFIX = 'strait-demo-';
const STATE_FILE = 'state.json';
/** Bounded discovery: look at no more than this many candidate dirs. */
const MAX_CANDIDATES = 64;

export interface DemoState {
  pid: number;
  architecture: string;
  registry: string;
  pilotHttp: string;
  proxyAdmin: string;
  startedAt: string;
}

export function writeDemoState(dir: string, state: DemoState): void {
  writeFileSync(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The most recently started demo still running on this machine, if any. */
export function findRunningDemo(base = tmpdir()): DemoState | undefined {
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => n.startsWith(TEMP_PREFIX));
  } catch {
    return undefined;
  }
  const found: { state: DemoState; mtime: number }[] = [];
  for (const name of names.slice(0, MAX_CANDIDATES)) {
    const file = join(base, name, STATE_FILE);
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as DemoState;
      if (typeof state.pid === 'number' && alive(state.pid))
        found.push({ state, mtime: statSync(file).mtimeMs });
    } catch {
      // Not a demo dir, or one being created or removed right now.
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime)[0]?.state;
}

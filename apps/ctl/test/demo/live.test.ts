// `strait demo` end to end, as users run it: the built binary as a real process, starting the real
// registry, pilot and proxy binaries. Zero failed requests is the bar; afterwards no child may be
// left and the temp dir must be gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'dist', 'bin.js');

interface Tally {
  requests: number;
  ok: number;
  failed: number;
  successRate: number;
  byVersion: Record<string, number>;
  errors: Record<string, number>;
}
interface Summary {
  architecture: string;
  interrupted: boolean;
  http: Tally;
  dubbo: Tally;
  phases: { name: string; http: Tally; dubbo: Tally }[];
  pids: Record<string, number>;
  tempDir: string;
}

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [bin, 'demo', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return { child, stdout: () => out, stderr: () => err };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const v2Share = (t: Tally): number => (t.byVersion['v2'] ?? 0) / Math.max(1, t.ok);

function expectCleanedUp(s: Summary): void {
  expect(Object.keys(s.pids).sort()).toEqual(['pilot', 'proxy', 'registry']);
  for (const [name, pid] of Object.entries(s.pids))
    expect(alive(pid), `${name} (pid ${pid}) still running`).toBe(false);
  expect(existsSync(s.tempDir)).toBe(false);
}

describe.skipIf(!existsSync(bin))('strait demo (live mesh, built binaries)', () => {
  it('sends HTTP and Dubbo traffic with no failures, shifts the split, and cleans up', async () => {
    const run = start(['--duration', '8s', '--json']);
    const { code } = await exited(run.child);
    expect(code, run.stderr()).toBe(0);
    const s = JSON.parse(run.stdout()) as Summary;
    expect(s.architecture).toBe('three-in-one');
    expect(s.http.failed, JSON.stringify(s.http.errors)).toBe(0);
    expect(s.dubbo.failed, JSON.stringify(s.dubbo.errors)).toBe(0);
    expect(s.http.successRate).toBe(100);
    expect(s.http.requests).toBeGreaterThan(200);
    expect(s.dubbo.ok).toBeGreaterThan(50);
    expect(s.phases.map((p) => p.name)).toEqual(['90/10', '50/50', '0/100']);
    const first = s.phases[0]!;
    const last = s.phases[2]!;
    // Before the change both versions answer; after it, v2 takes over.
    expect(first.http.byVersion['v1']).toBeGreaterThan(0);
    expect(first.http.byVersion['v2']).toBeGreaterThan(0);
    expect(v2Share(first.http)).toBeLessThan(0.3);
    expect(v2Share(last.http)).toBeGreaterThan(0.5);
    expect(v2Share(last.dubbo)).toBeGreaterThan(v2Share(first.dubbo));
    expectCleanedUp(s);
  }, 60_000);

  it.each(['scale-out', 'colocated'])(
    'runs the same traffic with --architecture %s',
    async (architecture) => {
      const run = start(['--duration', '6s', '--json', '--rate', '100,25', '--architecture', architecture]);
      const { code } = await exited(run.child);
      expect(code, run.stderr()).toBe(0);
      const s = JSON.parse(run.stdout()) as Summary;
      expect(s.architecture).toBe(architecture);
      expect(s.http.failed, JSON.stringify(s.http.errors)).toBe(0);
      expect(s.dubbo.failed, JSON.stringify(s.dubbo.errors)).toBe(0);
      expect(s.http.byVersion['v1']).toBeGreaterThan(0);
      expect(s.http.byVersion['v2']).toBeGreaterThan(0);
      expect(s.dubbo.ok).toBeGreaterThan(0);
      expectCleanedUp(s);
    },
    60_000,
  );

  it('stops cleanly on SIGINT while traffic flows', async () => {
    const run = start(['--json', '--rate', '100,25']);
    const done = exited(run.child);
    const deadline = Date.now() + 45_000;
    // Wait for the second live line: the mesh is up and traffic has flowed for a moment.
    while (!/ 2s /.test(run.stderr()) && Date.now() < deadline && run.child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run.stderr()).toMatch(/ 2s /);
    run.child.kill('SIGINT');
    const { code } = await done;
    expect([0, 130], run.stderr()).toContain(code);
    const s = JSON.parse(run.stdout()) as Summary;
    expect(s.interrupted).toBe(true);
    expect(s.http.failed, JSON.stringify(s.http.errors)).toBe(0);
    expect(s.dubbo.failed, JSON.stringify(s.dubbo.errors)).toBe(0);
    expect(s.http.ok).toBeGreaterThan(0);
    expectCleanedUp(s);
  }, 60_000);

  it('names the component that failed to start, with the tail of its log', async () => {
    // The pilot reads its flags from the environment too: a bad value makes it exit at once.
    const run = start(['--duration', '2s'], { STRAIT_PILOT_DEBOUNCE_MAX: 'bogus' });
    const { code } = await exited(run.child);
    expect(code).toBe(1);
    expect(run.stderr()).toContain('strait demo: CTL_ERR_START: pilot exited (code 2');
    expect(run.stderr()).toContain('--debounce-max "bogus"');
    expect(run.stdout()).toMatch(/starting registry \(strait-registry\)… ok/);
    expect(run.stdout()).toMatch(/starting pilot .*failed/);
  }, 60_000);
});

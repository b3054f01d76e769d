// The live demo from start to finish: bring the mesh up, send bounded traffic through it, shift the
// routes phase by phase, print a line per second, and on the deadline or a signal stop everything in
// a safe order (traffic, proxy drain, upstreams offline, pilot, registry) and remove the temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandIo } from '../io.js';
import { DemoError } from './errors.js';
import { type Mesh, type Progress, startMesh } from './mesh.js';
import { LIVE_HEADER, type PhaseReport, summaryTable, windowLine } from './render.js';
import { type Architecture, type Phase, phases as planPhases } from './scenario.js';
import { TEMP_PREFIX, writeDemoState } from './state.js';
import { ProtocolStats, type TallySummary } from './stats.js';
import { Supervisor } from './supervisor.js';
import { RateLoop } from './traffic.js';

export interface DemoRunOptions {
  architecture: Architecture;
  /** Traffic time; undefined runs until a signal. */
  durationMs: number | undefined;
  httpRate: number;
  dubboRate: number;
  json: boolean;
  /** Aborted by the command's SIGINT/SIGTERM handler. */
  signal: AbortSignal;
}

export interface DemoSummary {
  architecture: Architecture;
  /** Seconds of traffic. */
  durationS: number;
  interrupted: boolean;
  rate: { http: number; dubbo: number };
  http: TallySummary;
  dubbo: TallySummary;
  phases: PhaseReport[];
  components: {
    registry: string;
    pilot: { xds: string; http: string };
    proxy: { admin: string; httpListener: string; dubboListener: string };
  };
  /** Every child process started (all gone when the demo returns). */
  pids: Record<string, number | undefined>;
  tempDir: string;
}

const STOP_GRACE_MS = 10_000;

/** Waits `ms`, or less if the signal aborts; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export async function runDemo(opts: DemoRunOptions, io: CommandIo): Promise<DemoSummary> {
  // Human-readable lines go to stderr under --json, so stdout is exactly one JSON document.
  const say = opts.json ? io.err : io.out;
  const progress: Progress = {
    step(label) {
      say(`starting ${label}… `);
      return (detail) => say(`${detail}\n`);
    },
  };
  const dir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  const supervisor = new Supervisor();
  // If `strait` exits without the orderly stop (a second Ctrl-C), the temp dir still goes; this runs
  // after the supervisor's own exit hook has killed the children.
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  const partial: Partial<Mesh> = {};
  const plan = planPhases(opts.durationMs);
  let mesh: Mesh | undefined;
  // Ctrl-C while starting: stop the children now, so whatever step is waiting on one fails at once.
  const stopStarting = (): void => void supervisor.stopAll(STOP_GRACE_MS);
  opts.signal.addEventListener('abort', stopStarting);
  try {
    mesh = await startMesh({
      architecture: opts.architecture,
      dir,
      firstPhase: plan[0]!,
      supervisor,
      progress,
      track: (m) => Object.assign(partial, m),
      signal: opts.signal,
    }).finally(() => opts.signal.removeEventListener('abort', stopStarting));
    writeDemoState(dir, {
      pid: process.pid,
      architecture: mesh.architecture,
      registry: mesh.registryAddress,
      pilotHttp: mesh.pilot.http,
      proxyAdmin: `127.0.0.1:${mesh.proxyAdmin}`,
      startedAt: new Date().toISOString(),
    });
    if (opts.signal.aborted) return await finish(undefined);
    return await finish(await drive(mesh, plan, opts, say));
  } catch (err) {
    // Completes the progress line of the step that failed (a failure while running has none).
    if (mesh === undefined) say(opts.signal.aborted ? 'interrupted\n' : 'failed\n');
    else say('stopping after a failure… ');
    await teardown(mesh ?? partial, supervisor, dir).catch(() => {});
    process.off('exit', removeDir);
    if (mesh !== undefined) say('ok\n');
    if (opts.signal.aborted && mesh === undefined) {
      throw new DemoError(
        'CTL_ERR_INTERRUPTED',
        'interrupted while starting; everything started was stopped',
      );
    }
    throw err;
  }

  async function finish(result: Omit<DemoSummary, 'components' | 'pids' | 'tempDir'> | undefined) {
    say('stopping: traffic, proxy (drain), upstreams (offline), pilot, registry… ');
    await teardown(mesh ?? partial, supervisor, dir);
    process.off('exit', removeDir);
    say('ok\n');
    const m = mesh!;
    const empty = new ProtocolStats().totalSummary();
    return {
      ...(result ?? {
        architecture: opts.architecture,
        durationS: 0,
        interrupted: true,
        rate: { http: opts.httpRate, dubbo: opts.dubboRate },
        http: empty,
        dubbo: empty,
        phases: [],
      }),
      components: {
        registry: m.registryAddress,
        pilot: m.pilot,
        proxy: {
          admin: `127.0.0.1:${m.proxyAdmin}`,
          httpListener: `127.0.0.1:${m.ports.httpPort}`,
          dubboListener: `127.0.0.1:${m.ports.dubboPort}`,
        },
      },
      pids: {
        registry: m.children.registry.pid,
        pilot: m.children.pilot.pid,
        proxy: m.children.proxy.pid,
      },
      tempDir: dir,
    };
  }
}

async function drive(
  mesh: Mesh,
  plan: Phase[],
  opts: DemoRunOptions,
  say: (text: string) => void,
): Promise<Omit<DemoSummary, 'components' | 'pids' | 'tempDir'>> {
  const http = new ProtocolStats();
  const dubbo = new ProtocolStats();
  let current = plan[0]!;
  const phaseStarted = new Map<string, number>([[current.name, 0]]);
  const loops = [
    new RateLoop({
      rate: opts.httpRate,
      maxInFlight: 64,
      send: mesh.sendHttp,
      record: (o) => http.record(o, current.name),
    }),
    new RateLoop({
      rate: opts.dubboRate,
      maxInFlight: 32,
      send: mesh.sendDubbo,
      record: (o) => dubbo.record(o, current.name),
    }),
  ];
  say(
    `traffic: ${opts.httpRate} HTTP req/s + ${opts.dubboRate} Dubbo calls/s to 127.0.0.1 through the proxy; routes shift v1→v2 ${plan.map((p) => p.name).join(' → ')}${opts.durationMs === undefined ? '; Ctrl-C stops' : ''}\n`,
  );
  say(LIVE_HEADER);
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  for (const l of loops) l.start();
  let next = 1;
  let lastWindow = 0;
  let failure: DemoError | undefined;
  while (!opts.signal.aborted) {
    const untilTick = 1000 - ((elapsed() - lastWindow) % 1000);
    await sleep(untilTick, opts.signal);
    const now = elapsed();
    const seconds = Math.max(0.001, (now - lastWindow) / 1000);
    lastWindow = now;
    say(windowLine(now / 1000, current.name, http.takeWindow(), dubbo.takeWindow(), seconds));
    const dead = Object.values(mesh.children).find((c) => !c.running);
    if (dead) {
      failure = new DemoError(
        'CTL_ERR_EXITED',
        `${dead.name} exited during the demo (code ${dead.child.exitCode}, signal ${dead.child.signalCode}); last output:\n${dead.tail()}`,
        dead.name,
      );
      break;
    }
    if (opts.durationMs !== undefined && now >= opts.durationMs) break;
    const step = plan[next];
    if (step && now >= step.atMs) {
      mesh.applyRoutes(step);
      current = step;
      phaseStarted.set(step.name, now);
      next++;
      say(`       ↳ route change: VirtualService reviews + RpcRoute greeting now v1/v2 ${step.name}\n`);
    }
  }
  for (const l of loops) await l.stop();
  if (failure) throw failure;
  const durationS = Math.round(elapsed() / 100) / 10;
  const phases: PhaseReport[] = plan
    .filter((p) => phaseStarted.has(p.name))
    .map((p) => ({
      name: p.name,
      v1: p.v1,
      v2: p.v2,
      startedAtS: Math.round((phaseStarted.get(p.name) ?? 0) / 100) / 10,
      http: http.phaseSummary(p.name),
      dubbo: dubbo.phaseSummary(p.name),
    }));
  const total = { http: http.totalSummary(), dubbo: dubbo.totalSummary() };
  say(`\nsummary (${durationS} s of traffic, ${opts.architecture}):\n${summaryTable(phases, total)}`);
  return {
    architecture: opts.architecture,
    durationS,
    interrupted: opts.signal.aborted,
    rate: { http: opts.httpRate, dubbo: opts.dubboRate },
    ...total,
    phases,
  };
}

/** Stops whatever was started, in dependency order; every step bounded. Idempotent. */
async function teardown(m: Partial<Mesh>, supervisor: Supervisor, dir: string): Promise<void> {
  m.consumer?.close();
  m.agent?.destroy();
  // The proxy drains first, so calls still in flight finish before their upstreams go.
  await m.children?.proxy.stop(STOP_GRACE_MS);
  await Promise.all((m.upstreams ?? []).map((u) => u.close().catch(() => {})));
  await m.children?.pilot.stop(STOP_GRACE_MS);
  await m.registry?.close().catch(() => {});
  await supervisor.stopAll(STOP_GRACE_MS);
  rmSync(dir, { recursive: true, force: true });
}

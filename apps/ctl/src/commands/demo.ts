// `strait demo`: a live mesh on this machine, no root needed. Starts strait-registry, strait-pilot and
// a strait-proxy as real processes, HTTP and Dubbo upstreams in two versions, sends bounded traffic
// through the proxy, shifts the routes v1 → v2 part-way, and prints rate, success, p99 and the split
// every second. `strait demo --print` keeps the old behaviour (print the xDS resources).
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { ARCHITECTURES, type Architecture } from '../demo/scenario.js';
import { UsageError } from '../io.js';
import { printResources } from './resources.js';

const USAGE = `usage: strait demo [--duration 30s] [--rate HTTP[,DUBBO]] [--architecture NAME] [--json]
       strait demo --print [resources flags]   (the xDS resources for a sample service; see "strait resources --help")

Runs a live mesh on 127.0.0.1: strait-registry, strait-pilot, one strait-proxy with plain port
listeners (no iptables, no root), the "reviews" HTTP service and the GreetingService Dubbo
provider in versions v1 and v2. Traffic goes through the proxy while the routes shift
v1/v2 90/10 → 50/50 → 0/100; every second shows requests/s, success rate, p99 and who answered.
Ctrl-C (or the end of --duration) stops everything and removes the temp dir.

  --duration D        how long to send traffic (e.g. 30s, 2m); default: until Ctrl-C
  --rate HTTP[,DUBBO] requests/s (default 200,50; at most 2000 each)
  --architecture NAME ${ARCHITECTURES.join(' | ')} (default three-in-one)
  --json              print a machine-readable summary on stdout (live lines go to stderr)
`;

const MAX_RATE = 2000;
/** Bounded: a demo, not a soak test. */
const MAX_DURATION_MS = 24 * 3600_000;

/** `30s`, `1500ms`, `2m`, or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const unit = m?.[2] ?? 's';
  const ms = m ? Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000) : Number.NaN;
  if (!(ms >= 1000 && ms <= MAX_DURATION_MS)) {
    throw new UsageError(`strait demo: --duration must be 1s..24h like "30s" or "2m", got "${text}"`);
  }
  return ms;
}

export function parseRate(text: string | undefined): { http: number; dubbo: number } {
  if (text === undefined) return { http: 200, dubbo: 50 };
  const parts = text.split(',').map((p) => Number(p.trim()));
  const [http, dubbo = Math.max(1, Math.round((http ?? 0) / 4))] = parts;
  const ok = (n: number | undefined): n is number => Number.isInteger(n) && n! >= 1 && n! <= MAX_RATE;
  if (parts.length > 2 || !ok(http) || !ok(dubbo)) {
    throw new UsageError(
      `strait demo: --rate must be HTTP[,DUBBO] requests/s, each 1..${MAX_RATE}, got "${text}"`,
    );
  }
  return { http, dubbo };
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a live local mesh (registry, pilot, proxy, HTTP + Dubbo services) and shift traffic',
  usage: USAGE,
  async run(args, io) {
    if (args.includes('--print'))
      return printResources(
        'demo --print',
        args.filter((a) => a !== '--print'),
        io,
      );
    const { values } = parseCommandArgs('demo', args, {
      duration: { type: 'string' },
      rate: { type: 'string' },
      architecture: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const architecture = values.architecture ?? 'three-in-one';
    if (!(ARCHITECTURES as readonly string[]).includes(architecture)) {
      throw new UsageError(
        `strait demo: --architecture must be one of ${ARCHITECTURES.join(', ')}, got "${architecture}"`,
      );
    }
    const durationMs = values.duration === undefined ? undefined : parseDuration(values.duration);
    const rate = parseRate(values.rate);

    // First signal: stop cleanly (the run loop sees the abort). Second: give up waiting; the
    // supervisor's exit hook SIGKILLs any child still running.
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (): void => {
      signals++;
      if (signals === 1) {
        (values.json ? io.err : io.out)('\nstopping (Ctrl-C again to force)…\n');
        controller.abort();
      } else process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      // Loaded only here: the registry client and Dubbo SDK are not needed for --help or --print.
      const { runDemo } = await import('../demo/run.js');
      const summary = await runDemo(
        {
          architecture: architecture as Architecture,
          durationMs,
          httpRate: rate.http,
          dubboRate: rate.dubbo,
          json: values.json,
          signal: controller.signal,
        },
        io,
      );
      if (values.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
      return 0;
    } catch (err) {
      // Stopped by the user before traffic started: not a failure, but not a full run either.
      if ((err as { code?: unknown }).code === 'CTL_ERR_INTERRUPTED') {
        io.err(`strait demo: ${(err as Error).message}\n`);
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

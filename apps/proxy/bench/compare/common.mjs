// Shared pieces of the comparative benchmark: payload sizes, the gRPC service shape, child processes,
// free loopback ports, /proc CPU accounting.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

export const BODY_BYTES = 256;
export const BENCH_DUBBO_INTERFACE = 'io.strait.bench.Echo';

const raw = (b) => b;
/** A unary method over raw bytes: serializers are identity, so no schema or codegen is involved. */
export const BENCH_GRPC_SERVICE = {
  Echo: {
    path: '/strait.bench.Bench/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns a child and resolves once `ready(log)` returns a truthy value (read from stdout+stderr),
 * rejecting if it exits first or after `timeoutMs`. `cwd` matters for `-e` module sources, whose bare
 * imports (`@strait/dubbo/sdk`) resolve from it.
 */
export function startChild(cmd, args, ready, { timeoutMs = 20_000, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, cwd });
    let log = '';
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      c.kill('SIGKILL');
      reject(new Error(`${cmd} not ready after ${timeoutMs} ms: ${log.slice(-2000)}`));
    }, timeoutMs);
    const onData = (d) => {
      // Keep only the tail: a chatty child must not grow this string without bound.
      log = (log + d.toString()).slice(-16_384);
      if (settled) return;
      const m = ready(log);
      if (m) {
        settled = true;
        clearTimeout(timer);
        resolve({ child: c, ready: m, log: () => log });
      }
    };
    c.stdout.on('data', onData);
    c.stderr.on('data', onData);
    // Children that print nothing when ready (nginx, HAProxy) are checked once spawned; the caller then
    // waits for their port.
    c.once('spawn', () => onData(''));
    c.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    });
    c.on('exit', (code, sig) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code ?? sig}) before ready: ${log.slice(-2000)}`));
    });
  });
}

/** A port the kernel just handed out on 127.0.0.1 (closed again; tiny race, fine on loopback). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts a connection (polled, bounded). */
export async function waitPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`127.0.0.1:${port} not accepting after ${timeoutMs} ms`);
}

/** utime+stime of one process in clock ticks (fields 14 and 15 of /proc/PID/stat), 0 if gone. */
function ticks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces; fields after it start past the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

function childrenOf(pid) {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // raced with an exiting process
    }
  }
  return out;
}

/**
 * CPU seconds used so far by a process and its direct children (nginx's master + worker). Clock ticks
 * are 100 Hz on Linux (USER_HZ), so resolution is 10 ms: phases are long enough for that to vanish.
 */
export function cpuSeconds(pid) {
  let t = ticks(pid);
  for (const c of childrenOf(pid)) t += ticks(c);
  return t / 100;
}

export function quantile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

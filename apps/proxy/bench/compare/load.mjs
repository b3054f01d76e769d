// Load generators. Every run is bounded twice: by duration and by a request count or deadline, and
// only ever targets 127.0.0.1.
// - wrk (C, one thread): HTTP/1.1 keep-alive at fixed concurrency, the requests/s number.
// - openLoop: a fixed request rate regardless of how fast answers come back (wrk has no such mode and
//   Debian has no wrk2). Latency is measured from each request's *scheduled* send time, so a slow
//   target cannot hide its queueing by slowing the generator down (coordinated omission).
// - closedLoop: N requests in flight for gRPC and Dubbo, the requests/s number for those protocols.
import { execFile } from 'node:child_process';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { DubboConsumer } from '@strait/dubbo';
import { BENCH_DUBBO_INTERFACE, BENCH_GRPC_SERVICE, quantile } from './common.mjs';

const HOST = '127.0.0.1';

function parseWrkMs(v, unit) {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** Runs wrk against 127.0.0.1:port for `seconds` and parses requests, req/s, p50/p99 and errors. */
export function wrk(port, { seconds, concurrency }) {
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      [
        '-t1',
        `-c${concurrency}`,
        `-d${seconds}s`,
        '--timeout',
        '5s',
        '--latency',
        '-H',
        'Host: bench.local',
        `http://${HOST}:${port}/bench`,
      ],
      { timeout: (seconds + 15) * 1000 },
      (err, stdout) => {
        if (err) return reject(new Error(`wrk failed: ${err.message} ${stdout}`));
        const lat = (p) => {
          const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(stdout);
          return m ? parseWrkMs(m[1], m[2]) : Number.NaN;
        };
        const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
        const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
        const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
        const sockErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
        resolve({
          requests,
          rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0),
          p50: lat(50),
          p99: lat(99),
          errors: non2xx + sockErrors,
        });
      },
    );
  });
}

/** One HTTP/1.1 keep-alive client; `send()` resolves true on a 200 with its body read. */
export function httpClient(port, { maxSockets = 64 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    send: () =>
      new Promise((resolve) => {
        const req = http.request(
          { host: HOST, port, path: '/bench', agent, headers: { host: 'bench.local' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode === 200));
            res.on('error', () => resolve(false));
          },
        );
        req.on('error', () => resolve(false));
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

/** One gRPC channel (one HTTP/2 connection, as a gRPC client uses); unary calls on it. */
export function grpcClient(port) {
  const client = new grpc.Client(`${HOST}:${port}`, grpc.credentials.createInsecure(), {
    // A channel of its own per target: never share a subchannel with another target's client.
    'grpc.use_local_subchannel_pool': 1,
  });
  const m = BENCH_GRPC_SERVICE.Echo;
  const payload = Buffer.alloc(32, 'q');
  return {
    send: () =>
      new Promise((resolve) => {
        client.makeUnaryRequest(
          m.path,
          m.requestSerialize,
          m.responseDeserialize,
          payload,
          { deadline: Date.now() + 5000 },
          (err) => resolve(!err),
        );
      }),
    close: () => client.close(),
  };
}

/** One Dubbo consumer: a single multiplexed connection (Dubbo's default), echo calls on it. */
export function dubboClient(port) {
  const consumer = new DubboConsumer({ providers: [{ host: HOST, port }], timeoutMs: 5000 });
  const call = {
    service: BENCH_DUBBO_INTERFACE,
    version: '1.0.0',
    method: 'echo',
    parameterTypes: ['java.lang.String'],
    args: ['x'.repeat(32)],
  };
  return {
    send: () =>
      consumer.invoke(call).then(
        () => true,
        () => false,
      ),
    close: () => consumer.close(),
  };
}

/**
 * `concurrency` loops, each sending its next request when the previous one answers, for `seconds`.
 * Returns the raw samples (latencies of answered requests in ms, unsorted; errors; elapsed seconds) so
 * runs split into rounds can be merged before they are summarized.
 */
export async function closedLoopSamples(client, { seconds, concurrency }) {
  const deadline = performance.now() + seconds * 1000;
  const lat = [];
  let errors = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const ok = await client.send();
      if (ok) lat.push(performance.now() - t0);
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { lat, errors, elapsed: (performance.now() - t0) / 1000 };
}

/** Requests, requests/s, p50/p99 (ms) and errors of one or more closed-loop sample sets. */
export function summarize(...samples) {
  const lat = samples.flatMap((s) => s.lat).sort((a, b) => a - b);
  const elapsed = samples.reduce((t, s) => t + s.elapsed, 0);
  return {
    requests: lat.length,
    rps: elapsed > 0 ? lat.length / elapsed : 0,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    errors: samples.reduce((t, s) => t + s.errors, 0),
  };
}

/** closedLoopSamples, summarized. */
export async function closedLoop(client, opts) {
  return summarize(await closedLoopSamples(client, opts));
}

/**
 * Sends `rate` requests per second for `seconds` (exactly rate*seconds requests), whatever the
 * answers do. Answers still missing 5 s after the last send count as errors.
 */
export function openLoop(client, { seconds, rate }) {
  const total = Math.max(1, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const lat = [];
  let errors = 0;
  let sent = 0;
  let answered = 0;
  return new Promise((resolve) => {
    let done = false;
    let tickTimer;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(tickTimer);
      clearTimeout(hardStop);
      lat.sort((a, b) => a - b);
      resolve({
        requests: lat.length,
        rps: rate,
        p50: quantile(lat, 0.5),
        p99: quantile(lat, 0.99),
        errors: errors + (sent - answered),
      });
    };
    const hardStop = setTimeout(finish, seconds * 1000 + 5000);
    const t0 = performance.now();
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
      while (sent < due) {
        const scheduled = t0 + sent * interval;
        sent++;
        client.send().then((ok) => {
          if (done) return;
          answered++;
          if (ok) lat.push(performance.now() - scheduled);
          else errors++;
          if (answered === total) finish();
        });
      }
      if (sent < total) tickTimer = setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
    };
    tick();
  });
}

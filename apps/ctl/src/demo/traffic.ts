// Load generators. Bounded in every direction: a fixed rate (no catch-up bursts after a stall),
// a cap on requests in flight, a per-request timeout, and only ever 127.0.0.1.
import http from 'node:http';
import type { DubboConsumer } from '@strait/dubbo/sdk';
import { LOOPBACK } from './ports.js';
import type { Outcome } from './stats.js';

const TICK_MS = 10;
export const REQUEST_TIMEOUT_MS = 5_000;

export interface RateLoopOptions {
  /** Requests per second. */
  rate: number;
  /** Requests in flight at most; past it, due requests are skipped rather than queued. */
  maxInFlight: number;
  /** One request; resolves with the version that answered, rejects with a short reason. */
  send: () => Promise<string>;
  record: (o: Outcome) => void;
}

/** Sends `rate` requests per second, spread over 10 ms ticks, until stop(). */
export class RateLoop {
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private sent = 0;
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];

  constructor(private readonly opts: RateLoopOptions) {}

  start(): void {
    this.started = performance.now();
    this.sent = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops sending and waits for the requests in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.started) * this.opts.rate) / 1000) - this.sent;
    // After a stall (a busy machine) the backlog is dropped, not burst out: the rate stays a bound.
    const burst = Math.max(1, Math.ceil((this.opts.rate * TICK_MS * 5) / 1000));
    if (due > burst) this.sent += due - burst;
    for (let i = 0; i < Math.min(due, burst); i++) {
      this.sent++;
      if (this.inFlight >= this.opts.maxInFlight) continue;
      this.fire();
    }
  }

  private fire(): void {
    this.inFlight++;
    const t0 = performance.now();
    this.opts.send().then(
      (version) => this.done({ ok: true, version, ms: performance.now() - t0 }),
      (err: unknown) =>
        this.done({
          ok: false,
          error: err instanceof Error ? err.message : String(err),
          ms: performance.now() - t0,
        }),
    );
  }

  private done(o: Outcome): void {
    this.inFlight--;
    this.opts.record(o);
    if (this.inFlight === 0 && this.timer === undefined) for (const r of this.idle.splice(0)) r();
  }
}

/** GET / through the proxy's listener for the HTTP service; the upstream answers its version. */
export function httpSender(port: number, authority: string, agent: http.Agent): () => Promise<string> {
  return () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: LOOPBACK, port, path: '/', agent, headers: { host: authority } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c.length + body.length <= 256 ? c : '';
          });
          res.on('end', () => {
            if (res.statusCode === 200) resolve(body.trim());
            else reject(new Error(`HTTP ${res.statusCode}`));
          });
          res.on('error', (err) => reject(new Error(err.message)));
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
      req.end();
    });
}

/** One Dubbo call through the proxy's Dubbo listener; the provider answers its version. */
export function dubboSender(consumer: DubboConsumer, service: string): () => Promise<string> {
  return async () => {
    try {
      const reply = await consumer.invoke({
        service,
        method: 'greet',
        parameterTypes: ['java.lang.String'],
        args: ['strait'],
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      return String(reply);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new Error(typeof code === 'string' ? code : (err as Error).message);
    }
  };
}

// Access log formatting (Envoy's %COMMAND% operators) and writing. Writers are shared per path and
// bounded: when a file stream is backed up past the limit, lines are dropped and counted rather than
// buffered without bound.
import { createWriteStream, type WriteStream } from 'node:fs';
import { Counter } from '../stats/store.js';
import type { AccessLogModel } from './config.js';

export interface LogRecord {
  startTime: Date;
  method: string;
  path: string;
  protocol: string;
  responseCode: number;
  responseFlags: string;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number;
  upstreamServiceTimeMs?: number;
  upstreamHost: string;
  upstreamCluster: string;
  downstreamRemoteAddress: string;
  downstreamLocalAddress: string;
  routeName: string;
  grpcStatus?: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  responseHeaders: Record<string, string | string[] | undefined>;
}

const OPERATOR = /%([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?%/g;

function header(h: Record<string, string | string[] | undefined>, spec: string): string | undefined {
  for (const name of spec.split('?')) {
    const v = h[name.toLowerCase()];
    if (v !== undefined) return Array.isArray(v) ? v.join(',') : v;
  }
  return undefined;
}

function operator(r: LogRecord, op: string, arg: string | undefined): string | number | undefined {
  switch (op) {
    case 'START_TIME':
      return r.startTime.toISOString();
    case 'REQ': {
      const spec = (arg ?? '').toLowerCase();
      const pseudo: Record<string, string> = {
        ':method': r.method,
        ':path': r.path,
        ':authority': String(r.requestHeaders['host'] ?? ''),
      };
      for (const name of spec.split('?')) if (pseudo[name] !== undefined) return pseudo[name];
      return header(r.requestHeaders, spec);
    }
    case 'RESP':
      return header(r.responseHeaders, arg ?? '');
    case 'PROTOCOL':
      return r.protocol;
    case 'RESPONSE_CODE':
      return r.responseCode;
    case 'RESPONSE_FLAGS':
      return r.responseFlags || '-';
    case 'BYTES_RECEIVED':
      return r.bytesReceived;
    case 'BYTES_SENT':
      return r.bytesSent;
    case 'DURATION':
      return Math.round(r.durationMs);
    case 'UPSTREAM_HOST':
      return r.upstreamHost || '-';
    case 'UPSTREAM_CLUSTER':
      return r.upstreamCluster || '-';
    case 'DOWNSTREAM_REMOTE_ADDRESS':
      return r.downstreamRemoteAddress;
    case 'DOWNSTREAM_LOCAL_ADDRESS':
      return r.downstreamLocalAddress;
    case 'ROUTE_NAME':
      return r.routeName || '-';
    case 'GRPC_STATUS':
      return r.grpcStatus ?? '-';
    default:
      return undefined;
  }
}

export function formatText(template: string, r: LogRecord): string {
  return template.replace(OPERATOR, (_m, op: string, arg: string | undefined, max: string | undefined) => {
    const v = operator(r, op, arg);
    const s = v === undefined ? '-' : String(v);
    return max ? s.slice(0, Number(max)) : s;
  });
}

export function formatJson(fields: Record<string, string>, r: LogRecord): string {
  const out: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(fields)) {
    const single = /^%([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?%$/.exec(t);
    if (single) {
      const v = operator(r, single[1]!, single[2]);
      const max = single[3];
      out[k] = v === undefined ? null : max ? String(v).slice(0, Number(max)) : v;
    } else out[k] = formatText(t, r);
  }
  return `${JSON.stringify(out)}\n`;
}

/** Bytes a file writer may have queued before lines are dropped. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export class AccessLogWriter {
  private readonly files = new Map<string, WriteStream>();
  readonly dropped = new Counter();

  write(logs: readonly AccessLogModel[], r: LogRecord): void {
    for (const l of logs) {
      const line =
        l.format.kind === 'json' ? formatJson(l.format.fields, r) : formatText(l.format.template, r);
      this.sink(l.path, line);
    }
  }

  private sink(path: string, line: string): void {
    if (path === '/dev/stdout') {
      process.stdout.write(line);
      return;
    }
    if (path === '/dev/stderr') {
      process.stderr.write(line);
      return;
    }
    let w = this.files.get(path);
    if (!w) {
      w = createWriteStream(path, { flags: 'a' });
      w.on('error', () => this.dropped.inc());
      this.files.set(path, w);
    }
    if (w.writableLength > MAX_PENDING_BYTES) {
      this.dropped.inc();
      return;
    }
    w.write(line);
  }

  close(): void {
    for (const w of this.files.values()) w.end();
    this.files.clear();
  }
}

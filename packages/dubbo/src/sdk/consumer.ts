// A small Dubbo2 consumer: round-robin over provider addresses, one multiplexed connection per provider,
// per-call timeouts. A provider that sends READONLY is avoided for new calls (its connection closes once its
// in-flight calls are answered); if it is the only provider left, a fresh connection is made to it.
import { toDescriptor } from '../codec/descriptor.js';
import { Status } from '../codec/header.js';
import { encodeRequest } from '../codec/request.js';
import type { DecodedResponse } from '../codec/response.js';
import {
  DubboConnectionClosedError,
  DubboNoProviderError,
  DubboReadonlyError,
  DubboRemoteError,
  DubboServiceExceptionError,
} from '../errors.js';
import { addressKey, type ConnectionOptions, DubboConnection, type ProviderAddress } from './connection.js';

export interface ConsumerOptions extends ConnectionOptions {
  providers?: readonly ProviderAddress[];
  /** Default per-call timeout. Default 3000 ms (Dubbo's default `timeout`). */
  timeoutMs?: number;
  /** Sent as the `remote.application` attachment. */
  application?: string;
  /** How long an address that sent READONLY is passed over while others are available. Default 30 s. */
  readonlyAvoidMs?: number;
}

export interface InvokeOptions {
  service: string;
  version?: string;
  group?: string;
  method: string;
  /** A JVM descriptor ("Ljava/lang/String;I") or Java class names (["java.lang.String", "int"]). */
  parameterTypes: string | readonly string[];
  args?: readonly unknown[];
  attachments?: Record<string, unknown>;
  timeoutMs?: number;
  /** Fire and forget: no response is awaited. */
  oneWay?: boolean;
}

export class DubboConsumer {
  private providers: ProviderAddress[];
  private readonly options: ConsumerOptions;
  private readonly connections = new Map<string, Promise<DubboConnection>>();
  private readonly readonlySince = new Map<string, number>();
  private cursor = 0;
  private closed = false;

  constructor(options: ConsumerOptions = {}) {
    this.options = options;
    this.providers = [...(options.providers ?? [])];
  }

  /** Replaces the provider list (e.g. from a registry watch); connections to removed providers are closed. */
  setProviders(providers: readonly ProviderAddress[]): void {
    this.providers = [...providers];
    const keep = new Set(providers.map(addressKey));
    for (const [key, conn] of this.connections) {
      if (!keep.has(key)) {
        this.connections.delete(key);
        void conn.then((c) => c.drain()).catch(() => {});
      }
    }
  }

  /** Calls a method and returns its value; throws DubboServiceExceptionError if the method threw. */
  async invoke(call: InvokeOptions): Promise<unknown> {
    const res = await this.invokeRaw(call);
    if (res === undefined) return undefined;
    if (res.status !== Status.OK) throw new DubboRemoteError(res.status, res.errorMessage ?? '');
    if (res.exception !== undefined)
      throw new DubboServiceExceptionError(exceptionMessage(res.exception), res.exception);
    return res.value ?? null;
  }

  /** Like invoke, but returns the decoded response (status, attachments, value or exception) as is. */
  async invokeRaw(call: InvokeOptions): Promise<DecodedResponse | undefined> {
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs ?? 3000;
    const parameterTypes =
      typeof call.parameterTypes === 'string' ? call.parameterTypes : toDescriptor(call.parameterTypes);
    const attachments: Record<string, unknown> = { path: call.service, interface: call.service };
    if (call.version !== undefined) attachments['version'] = call.version;
    if (call.group !== undefined) attachments['group'] = call.group;
    attachments['timeout'] = String(timeoutMs);
    if (this.options.application !== undefined) attachments['remote.application'] = this.options.application;
    Object.assign(attachments, call.attachments);
    const build = (id: bigint) =>
      encodeRequest({
        id,
        twoWay: call.oneWay !== true,
        service: call.service,
        version: call.version ?? null,
        method: call.method,
        parameterTypes,
        args: call.args ?? [],
        attachments,
      });
    // Retried only when nothing was sent: a connect failure or a connection that turned read-only.
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < Math.max(2, this.providers.length + 1); attempt++) {
      let conn: DubboConnection;
      try {
        conn = await this.pick(call.service);
      } catch (err) {
        if (err instanceof DubboNoProviderError) throw err;
        lastError = err as Error;
        continue;
      }
      try {
        return await conn.request(build, timeoutMs, call.oneWay !== true);
      } catch (err) {
        if (err instanceof DubboReadonlyError) {
          lastError = err;
          continue;
        }
        throw err;
      }
    }
    throw lastError ?? new DubboNoProviderError(call.service);
  }

  private async pick(service: string): Promise<DubboConnection> {
    if (this.closed) throw new DubboConnectionClosedError('consumer is closed');
    const avoidMs = this.options.readonlyAvoidMs ?? 30_000;
    const now = Date.now();
    const n = this.providers.length;
    if (n === 0) throw new DubboNoProviderError(service);
    const fresh = this.providers.filter((p) => {
      const t = this.readonlySince.get(addressKey(p));
      return t === undefined || now - t > avoidMs;
    });
    const pool = fresh.length > 0 ? fresh : this.providers;
    const address = pool[this.cursor++ % pool.length]!;
    return this.connection(address);
  }

  private connection(address: ProviderAddress): Promise<DubboConnection> {
    const key = addressKey(address);
    const existing = this.connections.get(key);
    if (existing !== undefined) {
      return existing.then((c) => (c.available ? c : this.reconnect(address)));
    }
    return this.reconnect(address);
  }

  private reconnect(address: ProviderAddress): Promise<DubboConnection> {
    const key = addressKey(address);
    const p = DubboConnection.connect(address, this.options).then((conn) => {
      conn.on('readonly', () => this.readonlySince.set(key, Date.now()));
      conn.on('close', () => {
        if (this.connections.get(key) === p) this.connections.delete(key);
      });
      if (this.closed) conn.close();
      return conn;
    });
    this.connections.set(key, p);
    // The caller sees the rejection through `p`; this branch only forgets the failed attempt.
    p.catch(() => {
      if (this.connections.get(key) === p) this.connections.delete(key);
    });
    return p;
  }

  close(): void {
    this.closed = true;
    for (const [, p] of this.connections) void p.then((c) => c.close()).catch(() => {});
    this.connections.clear();
  }
}

/** hessian.js turns *Exception classes into Errors; other Throwables (e.g. *Error) stay objects with fields. */
function exceptionMessage(ex: unknown): string {
  if (typeof ex !== 'object' || ex === null) return String(ex);
  const o = ex as {
    message?: unknown;
    detailMessage?: unknown;
    $?: { detailMessage?: unknown };
    $class?: unknown;
  };
  const msg = o.message ?? o.detailMessage ?? o.$?.detailMessage;
  if (typeof msg === 'string') return msg;
  return typeof o.$class === 'string' ? o.$class : 'remote exception';
}

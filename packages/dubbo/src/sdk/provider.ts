// A small Dubbo2 provider: serves registered interfaces over TCP, answers heartbeats, and shuts down the Dubbo
// way: deregister, send READONLY on every connection so consumers stop sending, let in-flight calls finish
// within a bound, then close. QoS `/online` and `/offline` drive the registration hooks.

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { toDescriptor } from '../codec/descriptor.js';
import { encodeHeartbeatResponse, encodeReadonlyEvent } from '../codec/event.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { Status } from '../codec/header.js';
import { classifyFrame } from '../codec/message.js';
import {
  type Attachments,
  type DecodedRequest,
  DUBBO_PROTOCOL_VERSION,
  decodeRequest,
} from '../codec/request.js';
import { encodeResponse } from '../codec/response.js';
import { DubboError } from '../errors.js';
import { DEFAULT_QOS_PORT, QosServer } from './qos.js';
import type { ExportedService, ProviderInstance, RegistrationHooks } from './registration.js';

export interface InvocationContext {
  service: string;
  version: string | null;
  group: string | undefined;
  method: string;
  parameterTypes: string;
  attachments: Attachments;
  /** Set on the response's attachments (sent back as RESPONSE_*_WITH_ATTACHMENTS). */
  responseAttachments: Record<string, unknown>;
  remoteAddress: string | undefined;
}

export type MethodHandler = (args: unknown[], ctx: InvocationContext) => unknown;

export interface ServiceDefinition {
  interface: string;
  version?: string;
  group?: string;
  methods: Record<string, MethodHandler>;
}

export interface ProviderOptions {
  /** Default "strait-app". */
  application?: string;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Address registered for consumers; default `host`. */
  advertiseHost?: string;
  /** 0 picks a free port. Default 20880 (Dubbo's). */
  port?: number;
  /** QoS HTTP server; false disables it. Port default 22222, 0 picks one. */
  qos?: false | { host?: string; port?: number };
  registration?: RegistrationHooks;
  /** Register as soon as start() has bound the port. Default true. */
  registerOnStart?: boolean;
  maxBodyLength?: number;
}

export interface CloseOptions {
  /** Longest wait for in-flight calls after READONLY is sent. Default 10 s. */
  drainTimeoutMs?: number;
  /** A connection the peer keeps open counts as drained after this long with no request. Default 200 ms. */
  quietMs?: number;
}

interface ConnectionState {
  socket: Socket;
  inFlight: number;
  lastRequestAt: number;
}

function serviceKey(
  iface: string,
  version: string | null | undefined,
  group: string | null | undefined,
): string {
  const v = version === undefined || version === null || version === '' || version === '0.0.0' ? '' : version;
  return `${group ?? ''}/${iface}:${v}`;
}

/** A JS error becomes a Java RuntimeException (hessian-lite fills the rest of Throwable with defaults). */
function toJavaException(err: unknown): unknown {
  if (typeof err === 'object' && err !== null && '$class' in err && '$' in err) return err;
  const message = err instanceof Error ? err.message : String(err);
  return { $class: 'java.lang.RuntimeException', $: { detailMessage: message } };
}

export class DubboProvider {
  private readonly options: ProviderOptions;
  private readonly services = new Map<string, ServiceDefinition>();
  private readonly connections = new Set<ConnectionState>();
  private server: Server | undefined;
  private qos: QosServer | undefined;
  private _port = 0;
  private _qosPort: number | undefined;
  private _online = false;
  private closing = false;

  constructor(options: ProviderOptions = {}) {
    this.options = options;
  }

  addService(def: ServiceDefinition): this {
    this.services.set(serviceKey(def.interface, def.version, def.group), def);
    return this;
  }

  get port(): number {
    return this._port;
  }

  get qosPort(): number | undefined {
    return this._qosPort;
  }

  get isOnline(): boolean {
    return this._online;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  instance(): ProviderInstance {
    const services: ExportedService[] = [...this.services.values()].map((s) => {
      const out: ExportedService = { interface: s.interface, methods: Object.keys(s.methods) };
      if (s.version !== undefined) out.version = s.version;
      if (s.group !== undefined) out.group = s.group;
      return out;
    });
    return {
      application: this.options.application ?? 'strait-app',
      host: this.options.advertiseHost ?? this.options.host ?? '127.0.0.1',
      port: this._port,
      services,
    };
  }

  async start(): Promise<{ port: number; qosPort: number | undefined }> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    this._port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 20880, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
    if (this.options.qos !== false) {
      const qos = new QosServer({
        online: () => this.online(),
        offline: () => this.offline(),
        list: () => [...this.services.values()].map((s) => serviceKey(s.interface, s.version, s.group)),
        ready: () => this._online && !this.closing,
      });
      const q = this.options.qos ?? {};
      try {
        this._qosPort = await qos.listen({ host: q.host ?? '127.0.0.1', port: q.port ?? DEFAULT_QOS_PORT });
      } catch (err) {
        // Typically 22222 taken by another app on the host: fail whole, leaving no listener behind.
        await new Promise((r) => server.close(r));
        throw err;
      }
      this.qos = qos;
    }
    if (this.options.registerOnStart !== false) await this.online();
    return { port: this._port, qosPort: this._qosPort };
  }

  /** Registers every exported service (QoS `online`). Idempotent. */
  async online(): Promise<void> {
    if (this._online) return;
    await this.options.registration?.register(this.instance());
    this._online = true;
  }

  /** Deregisters (QoS `offline`); the provider keeps answering calls that still arrive. Idempotent. */
  async offline(): Promise<void> {
    if (!this._online) return;
    await this.options.registration?.deregister(this.instance());
    this._online = false;
  }

  /** Sends the READONLY event on every open connection: consumers stop sending new calls on them. */
  sendReadonly(): void {
    for (const c of this.connections) {
      if (!c.socket.destroyed) c.socket.write(encodeReadonlyEvent(0n));
    }
  }

  /**
   * Graceful shutdown: offline, stop accepting, READONLY to every consumer, wait for in-flight calls
   * (bounded by drainTimeoutMs), then close everything.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.offline().catch(() => {});
    const closed = new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.sendReadonly();
    // A request can be on the wire while READONLY is: "no call in flight" is not enough. Strait consumers close
    // the connection once their own in-flight calls are answered; for peers that keep it open (Java Dubbo just
    // stops using it) the connection counts as drained after `quietMs` without a request and nothing in flight.
    const deadline = Date.now() + (options.drainTimeoutMs ?? 10_000);
    const quietMs = options.quietMs ?? 200;
    const drained = (c: ConnectionState) =>
      c.socket.destroyed || (c.inFlight === 0 && Date.now() - c.lastRequestAt >= quietMs);
    while (Date.now() < deadline && ![...this.connections].every(drained)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of this.connections) c.socket.end();
    // Give the FINs a moment, then force whatever is left.
    await new Promise((r) => setTimeout(r, 20));
    for (const c of this.connections) c.socket.destroy();
    await closed;
    await this.qos?.close();
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const state: ConnectionState = { socket, inFlight: 0, lastRequestAt: 0 };
    this.connections.add(state);
    const decoder = new FrameDecoder(
      this.options.maxBodyLength !== undefined ? { maxBodyLength: this.options.maxBodyLength } : {},
    );
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        // Lost framing (bad magic, absurd length): nothing after this point can be trusted.
        socket.destroy();
        return;
      }
      for (const f of frames) this.onFrame(state, f);
    });
    socket.on('error', () => {});
    socket.on('close', () => this.connections.delete(state));
  }

  private onFrame(state: ConnectionState, frame: Buffer): void {
    let kind: string;
    let id: bigint;
    try {
      const c = classifyFrame(frame);
      kind = c.kind;
      id = c.header.requestId;
    } catch {
      state.socket.destroy();
      return;
    }
    if (kind === 'heartbeat-request') {
      state.socket.write(encodeHeartbeatResponse(id));
      return;
    }
    if (kind !== 'request') return;
    state.lastRequestAt = Date.now();
    let req: DecodedRequest;
    try {
      req = decodeRequest(frame);
    } catch (err) {
      const message = err instanceof DubboError ? err.message : String(err);
      state.socket.write(encodeResponse({ id, status: Status.BAD_REQUEST, errorMessage: message }));
      return;
    }
    state.inFlight++;
    void this.invoke(state, req).finally(() => {
      state.inFlight--;
    });
  }

  private async invoke(state: ConnectionState, req: DecodedRequest): Promise<void> {
    const groupAttachment = req.attachments['group'];
    const group = typeof groupAttachment === 'string' && groupAttachment !== '' ? groupAttachment : undefined;
    const def = this.services.get(serviceKey(req.service, req.version, group));
    const reply = (buf: Buffer) => {
      if (req.twoWay && !state.socket.destroyed) state.socket.write(buf);
    };
    if (def === undefined) {
      const key = serviceKey(req.service, req.version, group);
      reply(
        encodeResponse({
          id: req.id,
          status: Status.SERVICE_NOT_FOUND,
          errorMessage: `Not found exported service: ${key}`,
        }),
      );
      return;
    }
    let { method, args, parameterTypes } = req;
    if (
      (method === '$invoke' || method === '$invokeAsync') &&
      def.methods[method] === undefined &&
      args.length === 3
    ) {
      // Dubbo generic invocation (GenericService.$invoke(method, parameterTypes[], args[])): unwrap it, as
      // Dubbo's GenericFilter does on a Java provider.
      const [m, types, values] = args;
      method = String(m);
      parameterTypes = Array.isArray(types) ? toDescriptor(types.map(String)) : '';
      args = Array.isArray(values) ? values : [];
    }
    const handler = def.methods[method];
    if (handler === undefined) {
      reply(
        encodeResponse({
          id: req.id,
          status: Status.SERVICE_ERROR,
          errorMessage: `Not found method "${method}" in service ${req.service}`,
        }),
      );
      return;
    }
    const ctx: InvocationContext = {
      service: req.service,
      version: req.version,
      group,
      method,
      parameterTypes,
      attachments: req.attachments,
      responseAttachments: {},
      remoteAddress: state.socket.remoteAddress,
    };
    let value: unknown;
    let exception: unknown;
    try {
      value = await handler(args, ctx);
    } catch (err) {
      exception = toJavaException(err);
    }
    const attachments = { ...ctx.responseAttachments, dubbo: DUBBO_PROTOCOL_VERSION };
    try {
      reply(
        exception !== undefined
          ? encodeResponse({ id: req.id, exception, attachments })
          : encodeResponse({ id: req.id, value: value ?? null, attachments }),
      );
    } catch (err) {
      reply(
        encodeResponse({ id: req.id, status: Status.SERVER_ERROR, errorMessage: (err as Error).message }),
      );
    }
  }
}

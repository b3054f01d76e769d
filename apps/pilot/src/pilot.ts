// Wiring: sources (config directory, registries) → debounced push requests → a new PushContext →
// the ADS server's push queue; plus the gRPC and HTTP listeners. Everything with a job lives in its
// own module; this file only connects them.
import { mkdirSync, rmSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ConfigObject } from '@strait/config';
import type { Registry } from '@strait/registry';
import { envoy, toEnvoyJson } from '@strait/xds';
import { type Architecture, formatHostPort, type HostPort } from './cli.js';
import { PilotError } from './errors.js';
import { createHttpServer } from './http/server.js';
import { type Logger, silentLogger } from './log.js';
import { Metrics } from './metrics.js';
import {
  buildPushContext,
  type PushContext,
  type PushContextInput,
  updateEndpoints,
} from './model/push-context.js';
import { notApplied } from './networking/not-applied.js';
import { ConfigSource, type ConfigState } from './sources/config.js';
import { KubernetesConfigSource } from './sources/kubernetes.js';
import { RegistrySource } from './sources/registries.js';
import { AdsServer } from './xds/ads-server.js';
import { tlsServerCredentials, XdsAuthenticator } from './xds/auth.js';
import { Debouncer } from './xds/debounce.js';
import { Generators } from './xds/generators.js';
import { edsPush, fullPush, type PushRequest } from './xds/push-request.js';
import { CDS, EDS, LDS, RDS, shortType } from './xds/type-urls.js';

const CODECS = {
  [CDS]: envoy.config.cluster.v3.Cluster,
  [EDS]: envoy.config.endpoint.v3.ClusterLoadAssignment,
  [LDS]: envoy.config.listener.v3.Listener,
  [RDS]: envoy.config.route.v3.RouteConfiguration,
};

function resourceJson(typeName: string, message: unknown): unknown {
  return { '@type': `type.googleapis.com/${typeName}`, ...(toEnvoyJson(typeName, message) as object) };
}

export interface XdsTlsOptions {
  readonly address: HostPort;
  /** PEM server certificate chain and private key. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** PEM CA bundle that client certificates must chain to (client-certificate authentication). */
  readonly clientCa?: Buffer;
  /** Accepted bearer tokens (token authentication). At least one of clientCa, tokens. */
  readonly tokens?: readonly string[];
}

export interface PilotStartOptions {
  readonly configDir?: string;
  /** Watch Istio/Strait custom resources in this cluster too. */
  readonly kubeconfig?: string;
  /** Longest wait for the cluster's first lists at startup. Default 30 s. */
  readonly kubeStartTimeoutMs?: number;
  /** Static config instead of (or before) a directory: tests and embedding. */
  readonly config?: readonly ConfigObject[];
  readonly xdsAddress?: HostPort;
  readonly httpAddress?: HostPort;
  readonly architecture?: Architecture;
  readonly registries?: readonly Registry[];
  /** Name proxies use for the registry in scale-out clusters (RegistryCluster.registry). */
  readonly registryName?: string;
  readonly debounceAfterMs?: number;
  readonly debounceMaxMs?: number;
  readonly pushConcurrency?: number;
  /**
   * Unflushed response bytes (summed over connections) above which the push queue starts no further
   * push or request answer: bounds the memory of a fleet-wide push. Default 64 MiB.
   */
  readonly sendBudgetBytes?: number;
  /** Bound on encoded resource sections shared between streams. Default 256 MiB. */
  readonly encodeCacheBytes?: number;
  readonly xdsUnixSocket?: string;
  /**
   * ADS over TLS (Istio's 15012), on a listener of its own. Every stream must authenticate: a client
   * certificate verified against `clientCa`, or an `authorization: Bearer` token among `tokens`.
   * With this and no `xdsAddress` (nor socket), no plaintext listener is opened.
   */
  readonly xdsTls?: XdsTlsOptions;
  readonly sendQueueLimit?: number;
  readonly writeTimeoutMs?: number;
  readonly registryDiscoverEveryMs?: number;
  readonly log?: Logger;
}

export class Pilot {
  readonly metrics = new Metrics();
  readonly ads: AdsServer;
  private readonly generators = new Generators();
  private readonly log: Logger;
  private readonly debouncer: Debouncer;
  private configState: ConfigState = {
    generation: 0,
    objects: [],
    files: new Map(),
    rejected: [],
    stale: [],
  };
  /** Config per source (static objects, the directory, the cluster), merged into configState. */
  private readonly sourceStates = new Map<'static' | 'dir' | 'kube', ConfigState>();
  private configSource: ConfigSource | undefined;
  private kubeSource: KubernetesConfigSource | undefined;
  private registrySource: RegistrySource | undefined;
  private ctx: PushContext;
  /** Last logged notApplied list (JSON), so each change is logged once. */
  private notAppliedText = '[]';
  /** Delegation problems already logged (JSON of each), so a standing problem is logged once. */
  private delegationReported = new Set<string>();
  private pushCount = 0;
  /** Colocated: the one proxy this pilot serves (the first to connect). */
  private pinnedProxy: string | undefined;
  private grpcServer: grpc.Server | undefined;
  private grpcTlsServer: grpc.Server | undefined;
  private httpServer: HttpServer | undefined;
  private started = false;
  private closing = false;
  /** Bound addresses, known after start(). */
  xdsAddress = '';
  /** The TLS ADS listener's bound address ('' without --xds-tls-address). */
  xdsTlsAddress = '';
  httpAddress = '';

  private constructor(private readonly opts: PilotStartOptions) {
    this.log = opts.log ?? silentLogger;
    if (opts.config) this.setSourceState('static', { ...this.configState, objects: opts.config });
    this.ctx = this.buildContext();
    this.ads = new AdsServer({
      generators: this.generators,
      metrics: this.metrics,
      log: this.log,
      servesEds: this.architecture !== 'scale-out',
      ...(this.architecture === 'colocated'
        ? {
            admit: (id: string) => {
              this.pinnedProxy ??= id;
              return this.pinnedProxy === id;
            },
          }
        : {}),
      sendQueueLimit: opts.sendQueueLimit ?? 64,
      writeTimeoutMs: opts.writeTimeoutMs ?? 30_000,
      pushConcurrency: opts.pushConcurrency ?? 100,
      sendBudgetBytes: opts.sendBudgetBytes ?? 64 * 1024 * 1024,
      encodeCacheBytes: opts.encodeCacheBytes ?? 256 * 1024 * 1024,
      currentContext: () => this.ctx,
    });
    this.debouncer = new Debouncer(opts.debounceAfterMs ?? 100, opts.debounceMaxMs ?? 10_000, (req, ms) =>
      this.push(req, ms),
    );
  }

  static async start(opts: PilotStartOptions): Promise<Pilot> {
    const pilot = new Pilot(opts);
    try {
      await pilot.startSources();
      await pilot.listen();
    } catch (err) {
      await pilot.close();
      throw err;
    }
    pilot.started = true;
    return pilot;
  }

  get architecture(): Architecture {
    return this.opts.architecture ?? 'three-in-one';
  }

  /** The context proxies are being pushed (tests and /debug). */
  context(): PushContext {
    return this.ctx;
  }

  /** Replaces static config (embedding without a directory) and pushes. */
  setConfig(objects: readonly ConfigObject[]): void {
    if (this.closing) throw new PilotError('PILOT_ERR_CLOSED', 'setConfig after close()');
    const prev = this.sourceStates.get('static');
    this.setSourceState('static', {
      ...this.configState,
      generation: (prev?.generation ?? 0) + 1,
      objects,
      rejected: [],
      stale: [],
    });
    this.debouncer.add(fullPush('config', performance.now()));
  }

  /** Pushes whatever is pending now, skipping the debounce wait; resolves when written. */
  async flush(): Promise<void> {
    this.debouncer.flush();
    await this.ads.idle();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.debouncer.close();
    this.configSource?.close();
    await this.kubeSource?.close();
    await this.registrySource?.close();
    this.ads.closeAll();
    await Promise.all(
      [this.grpcServer, this.grpcTlsServer].map(
        (s) =>
          s &&
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              s.forceShutdown();
              resolve();
            }, 2000);
            s.tryShutdown(() => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
    if (this.httpServer) {
      const h = this.httpServer;
      h.closeAllConnections();
      await new Promise<void>((resolve) => h.close(() => resolve()));
    }
  }

  private contextInput(): PushContextInput {
    return {
      version: `${this.configState.generation}.${this.pushCount}`,
      architecture: this.architecture,
      registryName: this.opts.registryName ?? 'default',
      config: this.configState.objects,
      instances: this.registrySource?.instances() ?? new Map(),
    };
  }

  private buildContext(): PushContext {
    const ctx = buildPushContext(this.contextInput());
    this.reportDelegation(ctx);
    return ctx;
  }

  /**
   * Broken delegation (a missing or hidden delegate, conflicting matches) drops routes; say so once per
   * problem, not on every push (contexts are rebuilt for endpoint changes too). /debug/configz lists
   * the standing set.
   */
  private reportDelegation(ctx: PushContext): void {
    const now = new Set(ctx.delegationProblems.map((p) => JSON.stringify(p)));
    for (const p of ctx.delegationProblems) {
      if (this.delegationReported.has(JSON.stringify(p))) continue;
      this.log.warn('VirtualService delegation problem', {
        root: p.root,
        route: p.route,
        delegate: p.delegate,
        reason: p.reason,
      });
    }
    this.delegationReported = now;
  }

  private push(req: PushRequest, debounceMs: number): void {
    this.metrics.observe('pilot_debounce_time', debounceMs / 1000);
    this.pushCount++;
    // An endpoint-only change updates the current context in place of a rebuild (10,000 services'
    // worth of config is not re-read for one endpoint); anything more builds a whole new one.
    const incremental = req.full ? undefined : updateEndpoints(this.ctx, this.contextInput(), req.edsHosts);
    const ctx = incremental ?? this.buildContext();
    // A registry service that appeared, vanished or changed ports changes clusters too, not just EDS.
    let effective = req;
    if (!req.full && !incremental) {
      for (const host of req.edsHosts) {
        const before = this.ctx.services.get(host);
        const after = ctx.services.get(host);
        if (
          !before ||
          !after ||
          before.ports.map((p) => p.number).join() !== after.ports.map((p) => p.number).join()
        ) {
          effective = { ...req, full: true };
          break;
        }
      }
    }
    this.generators.advance(ctx, effective);
    this.ctx = ctx;
    if (effective.full) this.reportNotApplied();
    this.metrics.set('pilot_services', ctx.services.size);
    this.log.debug('push', {
      version: ctx.version,
      full: effective.full,
      hosts: effective.edsHosts.size,
      proxies: this.ads.connections.size,
    });
    this.ads.pushAll(ctx, effective);
  }

  private async startSources(): Promise<void> {
    if (this.opts.configDir) {
      this.configSource = new ConfigSource(this.opts.configDir, this.metrics, this.log, (state) =>
        this.configChanged('dir', state),
      );
      this.setSourceState('dir', await this.configSource.start());
    }
    if (this.opts.kubeconfig) {
      this.kubeSource = new KubernetesConfigSource(
        this.opts.kubeconfig,
        this.metrics,
        this.log,
        (state) => this.configChanged('kube', state),
        this.opts.kubeStartTimeoutMs,
      );
      this.setSourceState('kube', await this.kubeSource.start());
    }
    if (this.opts.registries && this.opts.registries.length > 0) {
      this.registrySource = new RegistrySource({
        registries: this.opts.registries,
        metrics: this.metrics,
        log: this.log,
        discoverEveryMs: this.opts.registryDiscoverEveryMs ?? 1000,
        onChange: (hosts) => this.debouncer.add(edsPush(hosts, performance.now())),
      });
      await this.registrySource.start();
      await this.registrySource.ensureWatched(this.serviceEntryHosts());
    }
    this.ctx = this.buildContext();
    this.generators.advance(this.ctx, fullPush('startup', 0));
    this.reportNotApplied();
    this.metrics.set('pilot_services', this.ctx.services.size);
  }

  private configChanged(source: 'dir' | 'kube', state: ConfigState): void {
    this.setSourceState(source, state);
    void this.registrySource?.ensureWatched(this.serviceEntryHosts());
    this.debouncer.add(fullPush('config', performance.now()));
  }

  /** Sources are merged in a fixed order (static, directory, cluster): the first object of a name wins. */
  private setSourceState(source: 'static' | 'dir' | 'kube', state: ConfigState): void {
    this.sourceStates.set(source, state);
    const parts = (['static', 'dir', 'kube'] as const)
      .map((k) => this.sourceStates.get(k))
      .filter((x) => x !== undefined);
    const seen = new Set<string>();
    const objects: ConfigObject[] = [];
    const files = new Map<ConfigObject, string>();
    for (const p of parts) {
      for (const o of p.objects) {
        const key = `${o.kind}/${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        objects.push(o);
        const f = p.files.get(o);
        if (f) files.set(o, f);
      }
    }
    this.configState = {
      generation: parts.reduce((n, p) => n + p.generation, 0),
      objects,
      files,
      rejected: parts.flatMap((p) => p.rejected),
      stale: parts.flatMap((p) => p.stale),
    };
  }

  private serviceEntryHosts(): string[] {
    return this.configState.objects.flatMap((o) => (o.kind === 'ServiceEntry' ? o.spec.hosts : []));
  }

  private async listen(): Promise<void> {
    const serverOptions = {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5000,
    };
    const server = new grpc.Server(serverOptions);
    this.ads.register(server);
    this.grpcServer = server;
    const bindOn = (srv: grpc.Server, target: string, creds: grpc.ServerCredentials) =>
      new Promise<number>((resolve, reject) => {
        srv.bindAsync(target, creds, (err, port) => {
          if (err)
            reject(new PilotError('PILOT_ERR_LISTEN', `xDS on ${target}: ${err.message}`, { cause: err }));
          else resolve(port);
        });
      });
    const bind = (target: string) => bindOn(server, target, grpc.ServerCredentials.createInsecure());
    const tls = this.opts.xdsTls;
    if (tls) {
      // A server of its own, so that authentication applies to this listener only.
      const tlsServer = new grpc.Server(serverOptions);
      this.ads.register(
        tlsServer,
        new XdsAuthenticator({ clientCertificates: tls.clientCa !== undefined, tokens: tls.tokens ?? [] }),
      );
      this.grpcTlsServer = tlsServer;
      const port = await bindOn(tlsServer, formatHostPort(tls.address), tlsServerCredentials(tls));
      this.xdsTlsAddress = formatHostPort({ host: tls.address.host, port });
    }
    if (this.opts.xdsUnixSocket) {
      mkdirSync(dirname(this.opts.xdsUnixSocket), { recursive: true });
      rmSync(this.opts.xdsUnixSocket, { force: true });
      await bind(`unix://${this.opts.xdsUnixSocket}`);
    }
    if (this.opts.xdsAddress || (!this.opts.xdsUnixSocket && !tls)) {
      const a = this.opts.xdsAddress ?? { host: '127.0.0.1', port: 0 };
      const port = await bind(formatHostPort(a));
      this.xdsAddress = formatHostPort({ host: a.host, port });
    }
    const httpAddr = this.opts.httpAddress;
    if (httpAddr) {
      const http = createHttpServer({
        metrics: () => this.metrics.render(),
        ready: () => this.started,
        debug: {
          syncz: (url) => this.syncz(url.searchParams.get('proxyID') ?? undefined),
          config_dump: (url) => this.configDump(url.searchParams.get('proxyID') ?? ''),
          configz: () => this.configz(),
          adsz: () => [...this.ads.connections].map((c) => c.describe()),
          push_status: () => ({
            version: this.ctx.version,
            architecture: this.architecture,
            services: this.ctx.services.size,
            endpoints: [...this.ctx.endpoints.values()].reduce((n, e) => n + e.length, 0),
            connections: this.ads.connections.size,
          }),
        },
      });
      this.httpServer = http;
      await new Promise<void>((resolve, reject) => {
        http.once('error', (err) =>
          reject(
            new PilotError('PILOT_ERR_LISTEN', `HTTP on ${formatHostPort(httpAddr)}: ${err.message}`, {
              cause: err,
            }),
          ),
        );
        http.listen(httpAddr.port, httpAddr.host, () => resolve());
      });
      const bound = http.address() as AddressInfo;
      this.httpAddress = formatHostPort({ host: httpAddr.host, port: bound.port });
    }
  }

  /**
   * Istio's /debug/config_dump?proxyID=...: what this pilot would send the proxy now (its current
   * subscriptions, the current context), as Envoy JSON.
   */
  private configDump(proxyId: string): unknown {
    const conn = [...this.ads.connections].find((c) => c.proxy?.id === proxyId);
    if (!conn?.proxy) return { error: `no connected proxy ${JSON.stringify(proxyId)}; see /debug/adsz` };
    const out: Record<string, unknown[]> = {};
    for (const sub of conn.subscriptions()) {
      const req = { wildcard: sub.wildcard, names: sub.names };
      const snapshot = this.generators.generate(this.ctx, conn.proxy, sub.type, req);
      // EDS snapshots are looked up by name (they are computed on demand).
      const resources = sub.wildcard
        ? [...snapshot.values()]
        : sub.names.map((n) => snapshot.get(n)).filter((r) => r !== undefined);
      out[shortType(sub.type)] = resources.map((r) => {
        const typeName = sub.type.slice(sub.type.lastIndexOf('/') + 1);
        const codec = CODECS[sub.type];
        return resourceJson(typeName, codec.decode(r.resource.value ?? new Uint8Array()));
      });
    }
    return { proxyId, contextVersion: this.ctx.version, ...out };
  }

  private syncz(proxyId?: string): unknown {
    return [...this.ads.connections]
      .filter((c) => proxyId === undefined || c.proxy?.id === proxyId)
      .map((c) => ({
        connectionId: c.id,
        proxyId: c.proxy?.id ?? '',
        proxyType: c.proxy?.type ?? '',
        variant: c.variant,
        contextVersion: c.contextVersion,
        types: Object.fromEntries(
          c.syncStatus().map((s) => [
            shortType(s.typeUrl),
            {
              lastSentVersion: s.lastSentVersion ?? '',
              lastSentNonce: s.lastSentNonce ?? '',
              lastAckedVersion: s.lastAckedVersion ?? '',
              lastAckedNonce: s.lastAckedNonce ?? '',
              synced: s.synced,
              ...(s.lastNack ? { lastNack: s.lastNack } : {}),
            },
          ]),
        ),
      }));
  }

  private hasProxylessClients(): boolean {
    for (const c of this.ads.connections) if (c.proxy?.type === 'grpc') return true;
    return false;
  }

  /** Logs accepted config the architecture cannot apply, once per change of that list. */
  private reportNotApplied(): void {
    const list = notApplied(this.ctx, this.hasProxylessClients());
    const text = JSON.stringify(list);
    if (text === this.notAppliedText) return;
    this.notAppliedText = text;
    for (const n of list) this.log.warn('config not applied', { ...n });
  }

  private configz(): unknown {
    return {
      generation: this.configState.generation,
      objects: this.configState.objects.map((o) => ({
        kind: o.kind,
        namespace: o.metadata.namespace ?? 'default',
        name: o.metadata.name,
        file: this.configState.files.get(o) ?? '',
        spec: o.spec,
      })),
      rejected: this.configState.rejected,
      stale: this.configState.stale,
      notApplied: notApplied(this.ctx, this.hasProxylessClients()),
      // Accepted objects that still cannot apply in full: delegating routes dropped at merge time.
      delegation: this.ctx.delegationProblems,
    };
  }
}

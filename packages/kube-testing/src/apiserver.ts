// A real kube-apiserver with its own etcd, on free loopback ports in a temp dir, for tests.
//
// What it sets up, and why:
// - serving certificate: the apiserver generates a self-signed one into --cert-dir; its file (leaf plus
//   the CA that signed it) is the kubeconfig's certificate authority, so clients verify TLS for real.
// - auth: a static token file with one admin user in `system:masters` and RBAC on, as in a real cluster.
// - service accounts: a signing key made with node:crypto (the apiserver refuses to start without one).
// - no controller-manager or kubelet: objects are stored and watched, nothing reconciles them, so tests
//   create EndpointSlices themselves, as the EndpointSlice controller would.
// - `--endpoint-reconciler-type=none`: the `kubernetes` Service's endpoints would be 127.0.0.1, which
//   endpoint validation rejects; nothing here needs them.
// Startup is bounded (`startTimeoutMs`); a process that exits or a deadline that passes fails with the
// tail of both logs.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { KubeTestingError } from './errors.js';
import { EtcdServer } from './etcd.js';
import { type PrepareOptions, prepareApiserver } from './prepare.js';
import { exited, freePort, LogTail, sleep, stopProcess } from './process.js';

export interface KubeApiServerOptions {
  /** Bound on etcd + apiserver startup (not the build). Default 120 s. */
  readonly startTimeoutMs?: number;
  /**
   * The apiserver's watch cache. Default true, as in clusters. Off, watches are served from etcd
   * directly, so compacting etcd (`compactEtcd()`) makes a watch from an older resourceVersion get
   * 410 Gone: the way to test a client's re-list for real.
   */
  readonly watchCache?: boolean;
  /** More kube-apiserver flags (`--feature-gates=...`). */
  readonly extraArgs?: readonly string[];
  /** How to build or find the binary. */
  readonly prepare?: PrepareOptions;
}

/** Processes still running, killed if the test process exits without stop() (a crashed worker). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) if (!exited(c)) c.kill('SIGKILL');
});

export class KubeApiServer {
  #child: ChildProcess | undefined;
  readonly #log = new LogTail();
  #stopped = false;

  private constructor(
    /** Temp dir holding etcd data, certs, keys, the token file and the kubeconfig. */
    readonly dir: string,
    readonly etcd: EtcdServer,
    /** `https://127.0.0.1:PORT` */
    readonly url: string,
    /** Bearer token of the admin user (`system:masters`). */
    readonly token: string,
  ) {}

  /** The kubeconfig file: one cluster, one admin user, one current context. */
  get kubeconfigPath(): string {
    return join(this.dir, 'kubeconfig');
  }

  /** PEM the serving certificate chains to. */
  get caFile(): string {
    return join(this.dir, 'certs', 'apiserver.crt');
  }

  get log(): string {
    return this.#log.text;
  }

  /** Builds the binary if needed (see prepareApiserver), starts etcd and the apiserver, waits for ready. */
  static async start(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const binary = await prepareApiserver(options.prepare);
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    const dir = mkdtempSync(join(tmpdir(), 'strait-kube-'));
    let etcd: EtcdServer;
    try {
      etcd = await EtcdServer.start(dir, timeoutMs);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const port = await freePort();
    const token = randomBytes(24).toString('hex');
    const server = new KubeApiServer(dir, etcd, `https://127.0.0.1:${port}`, token);
    try {
      server.#spawn(binary.path, port, options);
      await server.#waitReady(deadline, timeoutMs);
      server.#writeKubeconfig();
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  #spawn(binary: string, port: number, options: KubeApiServerOptions): void {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const saKey = join(this.dir, 'sa.key');
    const saPub = join(this.dir, 'sa.pub');
    writeFileSync(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
    const tokens = join(this.dir, 'tokens.csv');
    writeFileSync(tokens, `${this.token},strait-admin,strait-admin,"system:masters"\n`, { mode: 0o600 });
    const args = [
      `--etcd-servers=${this.etcd.url}`,
      `--bind-address=127.0.0.1`,
      `--advertise-address=127.0.0.1`,
      `--secure-port=${port}`,
      `--cert-dir=${join(this.dir, 'certs')}`,
      `--token-auth-file=${tokens}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--endpoint-reconciler-type=none',
      // No controller-manager creates namespaces' default service accounts here.
      '--disable-admission-plugins=ServiceAccount',
      // Tests decide when history goes away (compactEtcd), not a 5-minute timer.
      '--etcd-compaction-interval=0',
      `--watch-cache=${options.watchCache ?? true}`,
      '--profiling=false',
      ...(options.extraArgs ?? []),
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.#log.attach(child);
  }

  async #waitReady(deadline: number, timeoutMs: number): Promise<void> {
    const child = this.#child!;
    let last = 'no answer yet';
    for (;;) {
      if (exited(child)) {
        throw new KubeTestingError(
          'KT_ERR_START',
          `kube-apiserver exited (${child.exitCode ?? child.signalCode}):\n${this.#log.text.slice(-6_000)}`,
        );
      }
      if (existsSync(this.caFile)) {
        // readyz says storage, RBAC bootstrap and post-start hooks are done; the default namespace
        // is created by a bootstrap controller right after, and tests create objects in it.
        const ready = await this.get('/readyz');
        last = `/readyz ${ready.status}: ${ready.body.slice(0, 500)}`;
        if (ready.status === 200 && (await this.get('/api/v1/namespaces/default')).status === 200) return;
      }
      if (Date.now() > deadline) {
        throw new KubeTestingError(
          'KT_ERR_START',
          `kube-apiserver not ready after ${timeoutMs} ms (${last}):\n${this.#log.text.slice(-6_000)}`,
        );
      }
      await sleep(250);
    }
  }

  /** GET with the admin token, verifying the serving cert; never throws (status 0 on network errors). */
  get(path: string): Promise<{ status: number; body: string }> {
    return this.request('GET', path);
  }

  /**
   * A raw JSON request as the admin (for setup steps that must send objects exactly as written, such
   * as CRDs, which typed clients re-serialize). Never throws: status 0 means a network error.
   */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let ca: Buffer;
    try {
      ca = readFileSync(this.caFile);
    } catch (err) {
      return Promise.resolve({ status: 0, body: String(err) }); // not started yet, or stopped
    }
    return new Promise((resolve) => {
      const req = request(
        `${this.url}${path}`,
        {
          method,
          ca,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            if (text.length < 256_000) text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', (e) => resolve({ status: 0, body: String(e) }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, body: String(e) }));
      req.end(payload);
    });
  }

  #writeKubeconfig(): void {
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'strait-test', cluster: { server: this.url, 'certificate-authority': this.caFile } },
      ],
      users: [{ name: 'strait-admin', user: { token: this.token } }],
      contexts: [{ name: 'strait-test', context: { cluster: 'strait-test', user: 'strait-admin' } }],
      'current-context': 'strait-test',
    };
    writeFileSync(this.kubeconfigPath, stringify(config), { mode: 0o600 });
  }

  /** A client-node KubeConfig loaded from the kubeconfig file. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  /** See KubeApiServerOptions.watchCache. */
  compactEtcd(): Promise<number> {
    return this.etcd.compact();
  }

  /** Stops the apiserver, then etcd, then removes the temp dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await stopProcess(this.#child);
    await this.etcd.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

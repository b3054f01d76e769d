// A real ZooKeeper server for tests, run as a plain child process (no system service, no Docker).
//
// Why a process per suite: ZooKeeper's session, ephemeral-node and watch semantics are what the backend
// exists to get right, and a fake would encode our own reading of them. Each server gets a temp dir
// with a generated zoo.cfg, a random free loopback port, the admin server off, and a short tickTime so
// session expiry (minSessionTimeout = 2 × tickTime) is testable in well under a second.
//
// Startup is bounded: we poll the four-letter word `ruok` until `imok`, and give up (killing the
// process and reporting its log) after `startTimeoutMs`. A port race (another process binding our
// "free" port first) is retried with a new port.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@strait/kube-testing';

/** Debian's `zookeeper` package: the jar's manifest Class-Path pulls in its dependencies. */
const ZOOKEEPER_JAR = process.env['STRAIT_ZOOKEEPER_JAR'] ?? '/usr/share/java/zookeeper.jar';
const JAVA = process.env['JAVA'] ?? 'java';

export interface ZooKeeperServerOptions {
  /** ZooKeeper's tick; session timeouts are clamped to [2, 20] ticks. Default 200 ms. */
  readonly tickTimeMs?: number;
  /** Give up starting after this long. Default 30 s (a cold JVM on a busy 2-core box). */
  readonly startTimeoutMs?: number;
}

export interface ZooKeeperServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as ZooKeeper clients take it. */
  readonly connectString: string;
  readonly tickTimeMs: number;
  /** Stops the process (keeping its data) and starts it again on the same port: sessions survive. */
  restart(): Promise<void>;
  /** Kills the process without restarting (connection loss as clients see it). */
  pause(): Promise<void>;
  /** Starts a paused server again on the same port and data. */
  resume(): Promise<void>;
  /** Stops the server and deletes its data. Idempotent. */
  stop(): Promise<void>;
  /** The server's combined stdout/stderr so far (for failure messages). */
  log(): Promise<string>;
}

/** True when the ZooKeeper jar and a java binary are present (tests skip with a reason otherwise). */
export function zooKeeperAvailable(): boolean {
  return existsSync(ZOOKEEPER_JAR);
}

/** Sends a four-letter word and returns the reply ('' on any failure). */
export async function fourLetterWord(
  host: string,
  port: number,
  word: string,
  timeoutMs = 1000,
): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const sock = createConnection({ host, port });
    const done = (): void => {
      sock.destroy();
      resolve(out);
    };
    sock.setTimeout(timeoutMs, done);
    sock.on('connect', () => sock.write(word));
    sock.on('data', (b) => {
      out += b.toString('utf8');
    });
    sock.on('end', done);
    sock.on('error', done);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Children still running when the test process exits must not outlive it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

class Server implements ZooKeeperServer {
  readonly host = '127.0.0.1';
  private child: ChildProcess | undefined;
  private stopped = false;

  constructor(
    readonly port: number,
    readonly tickTimeMs: number,
    private readonly dir: string,
    private readonly startTimeoutMs: number,
  ) {}

  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  async writeConfig(): Promise<void> {
    const cfg = [
      `tickTime=${this.tickTimeMs}`,
      `dataDir=${join(this.dir, 'data')}`,
      `clientPort=${this.port}`,
      `clientPortAddress=${this.host}`,
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr,mntr,cons,stat,dump',
      'maxClientCnxns=0',
      // Short ticks make expiry tests fast; a generous ceiling lets a test ask for a session that
      // outlives a server restart on a loaded machine.
      'maxSessionTimeout=60000',
      // Keep snapshots cheap: tests write little, and fsync on a shared disk only slows them.
      'forceSync=no',
      '',
    ].join('\n');
    await writeFile(join(this.dir, 'zoo.cfg'), cfg);
  }

  /** Spawns the JVM and waits for `imok`; false when the process died first (e.g. port taken). */
  async launch(): Promise<boolean> {
    const logFd = openSync(join(this.dir, 'server.log'), 'a');
    const child = spawn(
      JAVA,
      [
        // A small, quick-starting JVM: the server holds a few KB of test data.
        '-Xms32m',
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Dzookeeper.admin.enableServer=false',
        '-Dzookeeper.jmx.log4j.disable=true',
        '-cp',
        // slf4j-simple (Debian's libslf4j-java, a zookeeper dependency) puts the server's log in server.log.
        `${ZOOKEEPER_JAR}:/usr/share/java/slf4j-simple.jar`,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        join(this.dir, 'zoo.cfg'),
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd); // the child holds its own copy
    this.child = child;
    live.add(child);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      live.delete(child);
    });
    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (exited) return false;
      if ((await fourLetterWord(this.host, this.port, 'ruok', 500)) === 'imok') return true;
      await sleep(100);
    }
    await this.kill();
    throw new Error(
      `ZooKeeper did not answer ruok on ${this.connectString} within ${this.startTimeoutMs} ms\n${await this.log()}`,
    );
  }

  private async kill(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }

  async pause(): Promise<void> {
    await this.kill();
  }

  async resume(): Promise<void> {
    if (this.stopped) throw new Error('ZooKeeper server was stopped');
    if (!(await this.launch())) throw new Error(`ZooKeeper failed to restart\n${await this.log()}`);
  }

  async restart(): Promise<void> {
    await this.pause();
    await this.resume();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  async log(): Promise<string> {
    return readFile(join(this.dir, 'server.log'), 'utf8').catch(() => '');
  }
}

/** Starts a fresh standalone ZooKeeper on a free loopback port; the caller must stop() it. */
export async function startZooKeeper(options: ZooKeeperServerOptions = {}): Promise<ZooKeeperServer> {
  if (!zooKeeperAvailable()) {
    throw new Error(`ZooKeeper jar not found at ${ZOOKEEPER_JAR}: run ./run system-deps`);
  }
  const tick = options.tickTimeMs ?? 200;
  const timeout = options.startTimeoutMs ?? 30_000;
  let lastLog = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'strait-zk-'));
    const server = new Server(await freePort(), tick, dir, timeout);
    await server.writeConfig();
    if (await server.launch()) return server;
    lastLog = await server.log();
    await server.stop();
  }
  throw new Error(`ZooKeeper failed to start after 3 attempts\n${lastLog}`);
}

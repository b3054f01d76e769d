// Starts the helper scripts inside test namespaces and parses their one-line JSON answers.
import { join } from 'node:path';
import type { TestNetns } from '../../src/testing/index.js';
import { waitForLine } from '../../src/testing/index.js';

const helpers = import.meta.dirname;

export interface Report {
  readonly server: string;
  readonly original?: { address: string; port: number; family: number } | null;
  readonly error?: string;
  readonly local: { address: string; port: number };
}

/** A capture server (see capture-server.mjs) listening in the pod namespace, or the peer's. */
export async function startServer(
  ns: TestNetns,
  label: string,
  host: string,
  port: number,
  options: { peer?: boolean; hold?: boolean } = {},
): Promise<void> {
  const mode = options.hold === true ? ['hold'] : [];
  const child = ns.spawn(
    [process.execPath, join(helpers, 'capture-server.mjs'), label, host, String(port), ...mode],
    {
      peer: options.peer === true,
    },
  );
  await waitForLine(child, /^listening /, 10_000);
}

/**
 * Connects from a namespace (the pod's unless `peer`), optionally as uid/gid, and returns the server's
 * report; the status and stderr are in the thrown error when the connection fails.
 */
export async function connectFrom(
  ns: TestNetns,
  host: string,
  port: number,
  options: { peer?: boolean; uid?: number; gid?: number; source?: string } = {},
): Promise<Report> {
  const owner = options.uid === undefined ? [] : [String(options.uid), String(options.gid ?? options.uid)];
  if (options.source !== undefined) owner.push(options.source);
  const result = await ns.exec(
    [process.execPath, join(helpers, 'connect.mjs'), host, String(port), ...owner],
    {
      peer: options.peer === true,
      timeoutMs: 15_000,
    },
  );
  if (result.status !== 0) {
    throw new Error(`connect ${host}:${port} failed (status ${result.status}): ${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout) as Report;
}

/** A connection kept open from the pod namespace (hold.mjs): read its first report, then echo lines. */
export async function holdConnection(
  ns: TestNetns,
  host: string,
  port: number,
): Promise<{ report: Report; echo(line: string): Promise<string> }> {
  const child = ns.spawn([process.execPath, join(helpers, 'hold.mjs'), host, String(port)]);
  const report = JSON.parse(await waitForLine(child, /^\{/, 10_000)) as Report;
  return {
    report,
    async echo(line) {
      const reply = waitForLine(child, new RegExp(`:${line}$`), 10_000);
      child.stdin.write(`${line}\n`);
      return reply;
    },
  };
}

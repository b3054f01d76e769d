// Runs the built binary as `./run demo` does.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', 'dist', 'bin.js');

function strait(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Resource {
  '@type': string;
  name?: string;
  cluster_name?: string;
  [key: string]: unknown;
}

describe('strait (built binary)', () => {
  it('resources prints the sample service resources as Envoy JSON', () => {
    const r = strait('resources');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, Resource[]> & { service: string };
    expect(out.service).toBe('reviews.default.svc.cluster.local');
    expect(out.listeners!.map((l) => l.name)).toEqual(['virtualOutbound', 'virtualInbound', '0.0.0.0_9080']);
    expect(
      out.listeners!.every((l) => l['@type'] === 'type.googleapis.com/envoy.config.listener.v3.Listener'),
    ).toBe(true);
    expect(out.clusters!.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'outbound|9080||reviews.default.svc.cluster.local',
        'outbound|9080|v1|reviews.default.svc.cluster.local',
        'outbound|9080|v2|reviews.default.svc.cluster.local',
        'PassthroughCluster',
      ]),
    );
    expect(out.endpoints!.map((e) => e.cluster_name)).toHaveLength(3);
    const split = JSON.stringify(out.routes![0]);
    expect(split).toContain('"weight":80');
    expect(split).toContain('"weight":20');
    // Typed configs are expanded, not base64.
    expect(r.stdout).toContain(
      '"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"',
    );
  });

  it('demo --print is resources, with its flags', () => {
    const r = strait(
      'demo',
      '--print',
      '--service',
      'ratings',
      '--port',
      '8080',
      '--v1-weight',
      '100',
      '--compact',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as { routes: unknown[] };
    expect(JSON.stringify(out.routes)).toContain(
      '"cluster":"outbound|8080|v1|ratings.default.svc.cluster.local"',
    );
  });

  it('rejects an unknown command with exit code 2', () => {
    const r = strait('demoo');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('strait: unknown command "demoo" (commands: demo, resources, status)\n');
  });

  it('rejects an unknown flag with exit code 2', () => {
    const r = strait('demo', '--nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('strait demo: unknown option --nope (see "strait demo --help")\n');
  });

  it('rejects a bad flag value', () => {
    const r = strait('resources', '--port', '70000');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port must be an integer in 1..65535, got "70000"');
  });

  it('prints help', () => {
    expect(strait('--help').stdout).toContain('demo');
    expect(strait('demo', '--help').stdout).toContain('usage: strait demo');
    expect(strait('resources', '--help').stdout).toContain('usage: strait resources');
    expect(strait().code).toBe(2);
  });
});

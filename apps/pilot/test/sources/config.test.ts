// The directory source logs what it accepted with a warning (file, object, field, code, reason), so a
// setting that has no effect as written is never silently dropped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { ConfigSource } from '../../src/sources/config.js';

describe('ConfigSource', () => {
  let dir = '';
  let source: ConfigSource | undefined;
  afterEach(() => {
    source?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs validation warnings of accepted objects', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pilot-config-'));
    writeFileSync(
      join(dir, 'dr.yaml'),
      `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: shop }
spec:
  host: web.test
  trafficPolicy:
    loadBalancer:
      localityLbSetting: { failover: [{ from: us, to: eu }] }
`,
    );
    const lines: string[] = [];
    source = new ConfigSource(
      dir,
      new Metrics(),
      createLogger('warn', (l) => lines.push(l)),
      () => {},
    );
    const state = await source.start();
    expect(state.objects).toHaveLength(1);
    const line = lines.find((l) => l.includes('config warning'));
    expect(line).toContain('object=DestinationRule/shop/web');
    expect(line).toContain('field=spec.trafficPolicy.loadBalancer.localityLbSetting');
    expect(line).toContain('code=CFG_WARN_SUSPICIOUS');
    expect(line).toContain('dr.yaml');
  });
});

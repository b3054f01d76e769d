import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEXT_FORMAT } from '../../src/access-log/config.js';
import { formatJson, formatText, type LogRecord } from '../../src/access-log/logger.js';
import { httpBootstrap, httpUpstream, request, startProxy, staticCluster } from '../helpers/harness.js';

const rec: LogRecord = {
  startTime: new Date('2026-01-02T03:04:05.678Z'),
  method: 'POST',
  path: '/api/x?y=1',
  protocol: 'HTTP/1.1',
  responseCode: 503,
  responseFlags: 'UF,URX',
  bytesReceived: 12,
  bytesSent: 34,
  durationMs: 5.6,
  upstreamHost: '10.0.0.1:8080',
  upstreamCluster: 'outbound|80||a',
  downstreamRemoteAddress: '10.0.0.9',
  downstreamLocalAddress: '10.0.0.2:15001',
  routeName: 'r',
  requestHeaders: { host: 'a.svc', 'user-agent': 'curl/8', 'x-request-id': 'rid' },
  responseHeaders: { 'x-envoy-upstream-service-time': '4' },
};

describe('access log formatting', () => {
  it("renders Envoy's default text format", () => {
    expect(formatText(DEFAULT_TEXT_FORMAT, rec)).toBe(
      '[2026-01-02T03:04:05.678Z] "POST /api/x?y=1 HTTP/1.1" 503 UF,URX 12 34 6 4 "-" "curl/8" "rid" "a.svc" "10.0.0.1:8080"\n',
    );
  });
  it('renders json_format with typed values and truncation', () => {
    const line = formatJson(
      {
        code: '%RESPONSE_CODE%',
        ua: '%REQ(USER-AGENT)%',
        short: '%REQ(:PATH):4%',
        text: 'took %DURATION%ms',
      },
      rec,
    );
    expect(JSON.parse(line)).toEqual({ code: 503, ua: 'curl/8', short: '/api', text: 'took 6ms' });
  });
  it('writes configured file access logs from the HCM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strait-al-'));
    const file = join(dir, 'access.log');
    const up = await httpUpstream('svc');
    const proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: svc } }]`,
        staticCluster('svc', [up.port]),
        `access_log:
  - name: envoy.access_loggers.file
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
      path: ${file}
      log_format: { json_format: { status: "%RESPONSE_CODE%", path: "%REQ(:PATH)%", cluster: "%UPSTREAM_CLUSTER%" } }`,
      ),
    );
    await request(proxy.listenerPort('http')!, { path: '/logged' });
    await proxy.shutdown();
    await up.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(readFileSync(file, 'utf8').trim())).toEqual({
      status: 200,
      path: '/logged',
      cluster: 'svc',
    });
  });
});

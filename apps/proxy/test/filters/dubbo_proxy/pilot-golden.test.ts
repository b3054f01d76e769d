// What strait-pilot generates for a Dubbo port (its golden sidecar-dubbo output: RpcRoute with argument
// and attachment matches, weighted subsets, a default route) is accepted by the proxy and routes calls
// the way the RpcRoute says.
import { readFileSync } from 'node:fs';
import { encodeRequest, peekRequest } from '@strait/dubbo/codec';
import { describe, expect, it } from 'vitest';
import { parseBootstrap } from '../../../src/config/bootstrap.js';
import { matchRoute, selectRouteConfig } from '../../../src/filters/dubbo_proxy/router.js';
import { translateBootstrap } from '../../../src/model/bootstrap.js';
import { decodeArguments } from '../../../src/protocols/dubbo/codec.js';

const golden = JSON.parse(
  readFileSync(new URL('../../../../pilot/test/golden/sidecar-dubbo.json', import.meta.url), 'utf8'),
) as { listeners: unknown[]; clusters: unknown[] };

const SERVICE = 'org.apache.dubbo.samples.GreetingService';

function call(arg: string, attachments: Record<string, string>, version = '1.0.0') {
  const route = peekRequest(
    encodeRequest({
      id: 1n,
      service: SERVICE,
      version,
      method: 'greet',
      parameterTypes: 'Ljava/lang/String;',
      args: [arg],
      attachments: { path: SERVICE, version, ...attachments },
    }),
  );
  return { route, args: () => decodeArguments(route) };
}

describe('pilot-generated dubbo_proxy config', () => {
  it('translates without issues and routes by argument + attachment, else the weighted split', () => {
    const t = translateBootstrap(
      parseBootstrap(
        JSON.stringify({ static_resources: { listeners: golden.listeners, clusters: golden.clusters } }),
      ),
    );
    if (!t.ok) throw new Error(t.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    const filter = t.value.listeners[0]!.filterChains[0]!.filter;
    expect(filter.kind).toBe('dubbo_proxy');
    if (filter.kind !== 'dubbo_proxy') return;
    const configs = filter.config.routeConfigs;
    const pick = (c: ReturnType<typeof call>) => {
      const rc = selectRouteConfig(configs, c.route);
      return rc ? matchRoute(rc, c)?.clusters.map((x) => `${x.name}:${x.weight}`) : undefined;
    };
    expect(pick(call('vip', { tenant: 'gold' }))).toEqual([`outbound|20880|v2|${SERVICE}:1`]);
    expect(pick(call('vip', { tenant: 'silver' }))).toEqual([
      `outbound|20880|v1|${SERVICE}:80`,
      `outbound|20880|v2|${SERVICE}:20`,
    ]);
    // The route configuration is for version 1.0.0 only.
    expect(pick(call('vip', { tenant: 'gold' }, '2.0.0'))).toBeUndefined();
  });
});

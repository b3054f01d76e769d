import { describe, expect, it } from 'vitest';
import { phases, routesYaml, servicesYaml } from '../../src/demo/scenario.js';

describe('demo scenario', () => {
  it('spreads the three splits over a bounded run, else steps every 10 s', () => {
    expect(phases(9_000).map((p) => [p.name, p.atMs])).toEqual([
      ['90/10', 0],
      ['50/50', 3_000],
      ['0/100', 6_000],
    ]);
    expect(phases(undefined).map((p) => p.atMs)).toEqual([0, 10_000, 20_000]);
  });

  it('writes the services on the given ports and the phase weights', () => {
    const services = servicesYaml({ httpPort: 31001, dubboPort: 31002 });
    expect(services).toContain('number: 31001, name: http, protocol: HTTP');
    expect(services).toContain('number: 31002, name: dubbo, protocol: DUBBO');
    const routes = routesYaml(phases(9_000)[1]!);
    expect(routes.match(/weight: 50/g)).toHaveLength(4);
    expect(routes).toContain('kind: RpcRoute');
  });
});

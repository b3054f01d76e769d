import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildRemovalRules,
  buildRules,
  formatRules,
  type InterceptionConfig,
  NetfilterInvalidConfigError,
} from '../../src/index.js';

// Golden rule lists, reviewed by hand (docs/interception.md explains each rule). Regenerate with
// UPDATE_GOLDEN=1 after an intended change and review the diff.
const cases: Record<string, InterceptionConfig> = {
  default: {},
  'include-ports-exclude-cidrs': {
    includeInboundPorts: [9080, 20880, 15020],
    excludeInboundPorts: [9090],
    excludeOutboundCidrs: ['10.96.0.1/32', '169.254.169.254/32', 'fd00::/8'],
    excludeOutboundPorts: [3306],
    proxyUids: [1337, 1338],
    proxyGids: [],
  },
  'outbound-only-cidrs-ipv6': {
    includeInboundPorts: [],
    includeOutboundCidrs: ['10.0.0.0/8', 'fd00::/8'],
    outboundPort: 16001,
    ipv6: true,
  },
};

describe('buildRules golden lists', () => {
  it.each(Object.keys(cases))('%s', (name) => {
    const rules = buildRules(cases[name]);
    const text = `# apply\n${formatRules(rules.apply)}\n# detach\n${formatRules(rules.detach)}\n# remove\n${formatRules(rules.remove)}\n`;
    const file = join(import.meta.dirname, 'fixtures', `${name}.txt`);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});

describe('buildRules', () => {
  it('adds the entry jumps last, after the chains they enter are complete', () => {
    const { apply } = buildRules();
    const last = apply.slice(-2).map((c) => c.args.join(' '));
    expect(last).toEqual([
      '-t nat -A PREROUTING -p tcp -j STRAIT_INBOUND',
      '-t nat -A OUTPUT -p tcp -j STRAIT_OUTPUT',
    ]);
  });

  it('removes jumps before flushing and deleting chains, whatever the config', () => {
    const { remove } = buildRules({ includeInboundPorts: [] });
    expect(remove.map((c) => c.args.slice(2, 4).join(' '))).toEqual([
      '-D PREROUTING',
      '-D OUTPUT',
      '-F STRAIT_INBOUND',
      '-F STRAIT_OUTPUT',
      '-F STRAIT_IN_REDIRECT',
      '-F STRAIT_REDIRECT',
      '-X STRAIT_INBOUND',
      '-X STRAIT_OUTPUT',
      '-X STRAIT_IN_REDIRECT',
      '-X STRAIT_REDIRECT',
    ]);
    expect(buildRemovalRules().remove).toEqual(remove);
    expect(buildRemovalRules({ ipv6: true }).remove.filter((c) => c.binary === 'ip6tables')).toHaveLength(10);
  });

  it('detaches by deleting only the two entry jumps, the start of the removal list', () => {
    const { detach, remove } = buildRules({ ipv6: true });
    expect(formatRules(detach)).toBe(
      [
        'iptables -t nat -D PREROUTING -p tcp -j STRAIT_INBOUND',
        'iptables -t nat -D OUTPUT -p tcp -j STRAIT_OUTPUT',
        'ip6tables -t nat -D PREROUTING -p tcp -j STRAIT_INBOUND',
        'ip6tables -t nat -D OUTPUT -p tcp -j STRAIT_OUTPUT',
      ].join('\n'),
    );
    expect(remove.slice(0, 2)).toEqual(detach.slice(0, 2));
    expect(buildRemovalRules({ ipv6: true }).detach).toEqual(detach);
  });

  it('turns off inbound and outbound capture with empty include lists', () => {
    const { apply } = buildRules({ includeInboundPorts: [], includeOutboundCidrs: [] });
    const text = formatRules(apply);
    expect(text).not.toMatch(/-A PREROUTING/);
    expect(text).not.toMatch(/-A OUTPUT/);
  });

  it('never captures the default excluded inbound ports', () => {
    const text = formatRules(buildRules().apply);
    for (const port of [15000, 15020, 15090, 22222]) {
      expect(text).toContain(`-A STRAIT_INBOUND -p tcp --dport ${port} -j RETURN`);
    }
  });

  it('generates only iptables commands unless ipv6 is set', () => {
    expect(new Set(buildRules().apply.map((c) => c.binary))).toEqual(new Set(['iptables']));
    expect(new Set(buildRules({ ipv6: true }).apply.map((c) => c.binary))).toEqual(
      new Set(['iptables', 'ip6tables']),
    );
  });

  it('throws NETFILTER_ERR_INVALID_CONFIG listing every issue', () => {
    try {
      buildRules({ outboundPort: 0, excludeOutboundCidrs: ['10.0.0.0/33'] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NetfilterInvalidConfigError);
      const e = err as NetfilterInvalidConfigError;
      expect(e.code).toBe('NETFILTER_ERR_INVALID_CONFIG');
      expect(e.issues.map((i) => i.path)).toEqual(['outboundPort', 'excludeOutboundCidrs[0]']);
      expect(e.message).toBe(
        'invalid interception config: outboundPort: 0 is not a port (an integer in 1..65535); ' +
          'excludeOutboundCidrs[0]: "10.0.0.0/33" is not a CIDR (address/prefix, e.g. 10.0.0.0/8 or fd00::/8)',
      );
    }
  });
});

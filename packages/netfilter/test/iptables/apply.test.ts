import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  buildRemovalRules,
  buildRules,
  type CommandRunner,
  detach,
  type InterceptionRules,
  isApplied,
  NetfilterCommandFailedError,
  remove,
  runCommand,
  saveNat,
} from '../../src/index.js';
import { createTestNetns, requireRoot, type TestNetns } from '../../src/testing/index.js';

// Real iptables in a throwaway namespace: the host's tables are never touched.
describe('apply / remove in a network namespace', () => {
  let ns: TestNetns;
  const opts = () => ({ netns: ns.name });
  const save = async (binary: 'iptables' | 'ip6tables' = 'iptables') =>
    (await saveNat(binary, opts())).split('\n').filter((l) => l.startsWith('-A ') || l.startsWith(':STRAIT'));

  beforeAll(async () => {
    requireRoot();
    ns = await createTestNetns();
  });

  afterAll(async () => {
    await ns?.destroy();
  });

  it('installs exactly the generated rules, and applying twice changes nothing', async () => {
    const rules = buildRules({ ipv6: true });
    await apply(rules, opts());
    const first = await save();
    await apply(rules, opts());
    expect(await save()).toEqual(first);
    expect(first.filter((l) => l === '-A OUTPUT -p tcp -j STRAIT_OUTPUT')).toHaveLength(1);
    expect(first.filter((l) => l === '-A PREROUTING -p tcp -j STRAIT_INBOUND')).toHaveLength(1);
    // iptables-save prints rules in its own canonical form; compare counts per chain.
    const appended = rules.apply.filter((c) => c.binary === 'iptables' && c.args[2] === '-A').length;
    expect(first.filter((l) => l.startsWith('-A '))).toHaveLength(appended);
    expect(await save('ip6tables')).toContain('-A OUTPUT -p tcp -j STRAIT_OUTPUT');
    expect(await isApplied(rules, opts())).toBe(true);
  });

  it('replaces the chains when the config changes, dropping a jump no longer wanted', async () => {
    await apply(buildRules(), opts());
    await apply(buildRules({ includeInboundPorts: [], excludeOutboundPorts: [3306] }), opts());
    const rules = await save();
    expect(rules).not.toContain('-A PREROUTING -p tcp -j STRAIT_INBOUND');
    expect(rules).toContain('-A OUTPUT -p tcp -j STRAIT_OUTPUT');
    expect(rules).toContain('-A STRAIT_OUTPUT -p tcp -m tcp --dport 3306 -j RETURN');
    expect(rules.filter((l) => l.includes('--dport 15020'))).toHaveLength(0);
  });

  it('removes everything, also duplicated jumps, and removing again is fine', async () => {
    const rules = buildRules({ ipv6: true });
    await apply(rules, opts());
    // Someone (an older agent) appended the jump a second time.
    await ns.execChecked(['iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-j', 'STRAIT_OUTPUT']);
    await remove(rules, opts());
    expect(await save()).toEqual([]);
    expect(await save('ip6tables')).toEqual([]);
    expect(await isApplied(rules, opts())).toBe(false);
    await remove(rules, opts());
    await remove(buildRemovalRules({ ipv6: true }), opts());
  });

  it('detaches (entry jumps only) idempotently, leaving the chains for remove', async () => {
    const rules = buildRules();
    await apply(rules, opts());
    await detach(rules, opts());
    await detach(rules, opts());
    const left = await save();
    expect(left.filter((l) => l.startsWith('-A OUTPUT') || l.startsWith('-A PREROUTING'))).toEqual([]);
    expect(left).toContain(':STRAIT_REDIRECT - [0:0]');
    expect(await isApplied(rules, opts())).toBe(false);
    await remove(rules, opts());
    expect(await save()).toEqual([]);
  });

  it('leaves rules it does not own in built-in chains', async () => {
    await ns.execChecked([
      'iptables',
      '-t',
      'nat',
      '-A',
      'OUTPUT',
      '-p',
      'udp',
      '--dport',
      '53',
      '-j',
      'RETURN',
    ]);
    await apply(buildRules(), opts());
    await apply(buildRules(), opts());
    await remove(buildRules(), opts());
    expect(await save()).toEqual(['-A OUTPUT -p udp -m udp --dport 53 -j RETURN']);
  });

  it('rejects a bad rule set atomically with the iptables-restore error', async () => {
    const good = buildRules();
    const bad: InterceptionRules = {
      apply: [
        ...good.apply,
        { binary: 'iptables', args: ['-t', 'nat', '-A', 'STRAIT_OUTPUT', '-j', 'NO_SUCH_TARGET'] },
      ],
      detach: good.detach,
      remove: good.remove,
    };
    await remove(good, opts());
    const before = await save();
    const err = await apply(bad, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetfilterCommandFailedError);
    expect(err).toMatchObject({ code: 'NETFILTER_ERR_COMMAND_FAILED' });
    expect((err as NetfilterCommandFailedError).argv).toContain('iptables-restore');
    expect((err as Error).message).toMatch(/iptables-restore --noflush .* exited with \d+: /);
    // Nothing of the transaction stayed behind.
    expect(await save()).toEqual(before);
  });

  it('refuses arguments iptables-restore would split', async () => {
    const rules: InterceptionRules = {
      apply: [
        {
          binary: 'iptables',
          args: ['-t', 'nat', '-A', 'STRAIT_OUTPUT', '-m', 'comment', '--comment', 'a b'],
        },
      ],
      detach: [],
      remove: [],
    };
    await expect(apply(rules, opts())).rejects.toThrow(/cannot go into iptables-restore/);
  });

  it('reports a failing removal that is not "absent"', async () => {
    const failing: CommandRunner = async (argv, o) =>
      argv.includes('-X')
        ? { status: 4, stdout: '', stderr: 'iptables: Device or resource busy.\n' }
        : runCommand(argv, o);
    const err = await remove(buildRules(), { ...opts(), run: failing }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NETFILTER_ERR_COMMAND_FAILED', status: 4 });
    expect((err as Error).message).toMatch(
      /-X STRAIT_INBOUND` exited with 4: iptables: Device or resource busy\.$/,
    );
  });
});

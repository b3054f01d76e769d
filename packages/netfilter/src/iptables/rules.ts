// Pure rule generation: config in, iptables argument vectors out. No I/O, so the exact rule list is
// reviewable in golden tests and docs/interception.md explains each line.
import { NetfilterInvalidConfigError } from '../errors.js';
import { type InterceptionConfig, type ResolvedInterceptionConfig, validateConfig } from './validate.js';

export const CHAINS = {
  inbound: 'STRAIT_INBOUND',
  inRedirect: 'STRAIT_IN_REDIRECT',
  output: 'STRAIT_OUTPUT',
  redirect: 'STRAIT_REDIRECT',
} as const;

/** Every chain this package owns, in the order they are flushed and deleted. */
export const ALL_CHAINS: readonly string[] = [
  CHAINS.inbound,
  CHAINS.output,
  CHAINS.inRedirect,
  CHAINS.redirect,
];

/** The two jumps from built-in chains into ours: the only rules outside our own chains. */
export const ENTRY_JUMPS = {
  inbound: ['PREROUTING', '-p', 'tcp', '-j', CHAINS.inbound],
  outbound: ['OUTPUT', '-p', 'tcp', '-j', CHAINS.output],
} as const;

export type IptablesBinary = 'iptables' | 'ip6tables';

/** One iptables invocation: `binary ...args` (args start with `-t nat`). */
export interface IptablesCommand {
  readonly binary: IptablesBinary;
  readonly args: readonly string[];
}

export interface InterceptionRules {
  /** Create chains, fill them, then jump into them from PREROUTING/OUTPUT. */
  readonly apply: readonly IptablesCommand[];
  /**
   * Stop capturing: delete only the two entry jumps. New connections go straight to their destination;
   * connections already captured keep their NAT state and stay with the proxy while it drains.
   */
  readonly detach: readonly IptablesCommand[];
  /**
   * Detach, then flush and delete the chains. Deleting the last REDIRECT rule makes the kernel drop
   * the NAT state of connections still captured (they are reset), so run this after the drain window.
   * Config-independent.
   */
  readonly remove: readonly IptablesCommand[];
}

interface FamilyAddresses {
  readonly binary: IptablesBinary;
  readonly loopback: string;
  /** Source the proxy uses when it hands inbound traffic to the app over lo (Istio's 127.0.0.6). */
  readonly inboundPassthrough: string;
}

const IPV4: FamilyAddresses = {
  binary: 'iptables',
  loopback: '127.0.0.1/32',
  inboundPassthrough: '127.0.0.6/32',
};
const IPV6: FamilyAddresses = { binary: 'ip6tables', loopback: '::1/128', inboundPassthrough: '::6/128' };

/**
 * Rules for `config`, for iptables and (when `ipv6`) ip6tables. Throws NETFILTER_ERR_INVALID_CONFIG
 * with every issue when the config is invalid; call validateConfig first to get them without a throw.
 */
export function buildRules(config: InterceptionConfig = {}): InterceptionRules {
  const result = validateConfig(config);
  if (!result.valid) throw new NetfilterInvalidConfigError(result.issues);
  return buildResolvedRules(result.config);
}

export function buildResolvedRules(c: ResolvedInterceptionConfig): InterceptionRules {
  const families = c.ipv6 ? [IPV4, IPV6] : [IPV4];
  return {
    apply: families.flatMap((f) => familyApply(c, f)),
    detach: families.flatMap((f) => familyDetach(f.binary)),
    remove: families.flatMap((f) => familyRemove(f.binary)),
  };
}

/**
 * The detach and removal lists alone, whatever config the rules were applied with (an agent undoing
 * what an older agent applied). `ipv6` adds the ip6tables commands.
 */
export function buildRemovalRules(
  options: { ipv6?: boolean } = {},
): Pick<InterceptionRules, 'detach' | 'remove'> {
  const binaries: IptablesBinary[] = options.ipv6 === true ? ['iptables', 'ip6tables'] : ['iptables'];
  return { detach: binaries.flatMap(familyDetach), remove: binaries.flatMap(familyRemove) };
}

function familyApply(c: ResolvedInterceptionConfig, f: FamilyAddresses): IptablesCommand[] {
  const rules: string[][] = [];
  const add = (...args: string[]) => rules.push(args);

  for (const chain of [CHAINS.inbound, CHAINS.inRedirect, CHAINS.output, CHAINS.redirect]) add('-N', chain);
  // --syn: only a connection whose first packet conntrack sees is a SYN is redirected. Connections that
  // were open before the rules went in have no conntrack entry when conntrack only starts tracking in
  // this namespace with our nat rules; their next packet is picked up mid-stream, and redirecting it
  // would hand the proxy a segment of a connection it never had, which it answers with RST. Without
  // the redirect they keep going to their real peer: what the lossless enable sequence needs.
  add('-A', CHAINS.inRedirect, '-p', 'tcp', '--syn', '-j', 'REDIRECT', '--to-ports', String(c.inboundPort));
  add('-A', CHAINS.redirect, '-p', 'tcp', '--syn', '-j', 'REDIRECT', '--to-ports', String(c.outboundPort));

  // Inbound: everything arriving from the network, unless its port is excluded (or not included).
  const inboundOn = c.includeInboundPorts === '*' || c.includeInboundPorts.length > 0;
  if (c.includeInboundPorts === '*') {
    for (const p of c.excludeInboundPorts)
      add('-A', CHAINS.inbound, '-p', 'tcp', '--dport', String(p), '-j', 'RETURN');
    add('-A', CHAINS.inbound, '-p', 'tcp', '-j', CHAINS.inRedirect);
  } else {
    for (const p of c.includeInboundPorts) {
      if (!c.excludeInboundPorts.includes(p)) {
        add('-A', CHAINS.inbound, '-p', 'tcp', '--dport', String(p), '-j', CHAINS.inRedirect);
      }
    }
  }

  const included =
    c.includeOutboundCidrs === '*' ? '*' : c.includeOutboundCidrs[f.binary === 'iptables' ? 'ipv4' : 'ipv6'];
  const excluded = c.excludeOutboundCidrs[f.binary === 'iptables' ? 'ipv4' : 'ipv6'];
  const outboundOn = included === '*' || included.length > 0;

  // Outbound, in order; the first matching RETURN leaves the connection alone.
  // 1. The proxy handing inbound traffic to the app over lo uses a dedicated source address.
  add('-A', CHAINS.output, '-s', f.inboundPassthrough, '-o', 'lo', '-j', 'RETURN');
  // 2. Destination ports the mesh must never touch.
  for (const p of c.excludeOutboundPorts)
    add('-A', CHAINS.output, '-p', 'tcp', '--dport', String(p), '-j', 'RETURN');
  for (const [flag, ids] of [
    ['--uid-owner', c.proxyUids],
    ['--gid-owner', c.proxyGids],
  ] as const) {
    for (const id of ids) {
      // 3. The proxy calling this pod's own address (a service whose endpoint is this pod) leaves over
      //    lo; send it to the inbound listener so inbound policy still applies.
      if (inboundOn) {
        add(
          '-A',
          CHAINS.output,
          '!',
          '-d',
          f.loopback,
          '-o',
          'lo',
          '-p',
          'tcp',
          '-m',
          'owner',
          flag,
          String(id),
          '-j',
          CHAINS.inRedirect,
        );
      }
      // 4. The app talking to itself over lo is not mesh traffic.
      add('-A', CHAINS.output, '-o', 'lo', '-m', 'owner', '!', flag, String(id), '-j', 'RETURN');
      // 5. The proxy's own upstream connections: capturing them would loop back into the proxy.
      add('-A', CHAINS.output, '-m', 'owner', flag, String(id), '-j', 'RETURN');
    }
  }
  // 6. Loopback destinations and excluded ranges.
  add('-A', CHAINS.output, '-d', f.loopback, '-j', 'RETURN');
  for (const cidr of excluded) add('-A', CHAINS.output, '-d', cidr, '-j', 'RETURN');
  // 7. Everything else (or only the included ranges) goes to the outbound listener.
  if (included === '*') add('-A', CHAINS.output, '-j', CHAINS.redirect);
  else for (const cidr of included) add('-A', CHAINS.output, '-d', cidr, '-j', CHAINS.redirect);

  // Jumps last: chains are complete before traffic enters them.
  if (inboundOn) add('-A', ...ENTRY_JUMPS.inbound);
  if (outboundOn) add('-A', ...ENTRY_JUMPS.outbound);

  return rules.map((args) => ({ binary: f.binary, args: ['-t', 'nat', ...args] }));
}

function familyDetach(binary: IptablesBinary): IptablesCommand[] {
  const rules: string[][] = [
    ['-D', ...ENTRY_JUMPS.inbound],
    ['-D', ...ENTRY_JUMPS.outbound],
  ];
  return rules.map((args) => ({ binary, args: ['-t', 'nat', ...args] }));
}

function familyRemove(binary: IptablesBinary): IptablesCommand[] {
  const rules: string[][] = [
    ...ALL_CHAINS.map((chain) => ['-F', chain]),
    ...ALL_CHAINS.map((chain) => ['-X', chain]),
  ];
  return [...familyDetach(binary), ...rules.map((args) => ({ binary, args: ['-t', 'nat', ...args] }))];
}

/** The rules as shell lines (`iptables -t nat -A ...`), for logs, docs and golden files. */
export function formatRules(commands: readonly IptablesCommand[]): string {
  return commands.map((c) => [c.binary, ...c.args].join(' ')).join('\n');
}

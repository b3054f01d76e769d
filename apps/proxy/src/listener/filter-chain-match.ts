// Envoy's filter chain selection, stage by stage: destination port, destination IP (longest prefix),
// server name (exact, then the longest `*.suffix` wildcard), transport protocol, application protocol,
// source IP (longest prefix), source port. At each stage the chains with a matching specific criterion
// win (the most specific of them); chains without that criterion are the fallback.
import net from 'node:net';
import type { CidrModel, FilterChainMatchModel, FilterChainModel } from '../model/listener.js';

interface Matchable {
  match: FilterChainMatchModel;
}

export interface ConnectionInfo {
  destinationIp: string;
  destinationPort: number;
  sourceIp: string;
  sourcePort: number;
  /** "tls" when the TLS inspector found a ClientHello, else "raw_buffer". */
  transportProtocol: string;
  /** SNI host name (lower case), '' when none. */
  serverName: string;
  /** ALPN of a ClientHello, or the sniffed protocol ("http/1.1", "h2c", "dubbo"); empty when unknown. */
  applicationProtocols: readonly string[];
}

/** Above any wildcard score (a DNS name is at most 253 characters). */
const EXACT_NAME = 1000;

/**
 * How specifically `pattern` matches `name`: EXACT_NAME for equality, the suffix length for a
 * `*.suffix` wildcard (so the longest wildcard wins, as Envoy's label-by-label lookup does), -1 else.
 * `*.example.com` matches `a.example.com` and `a.b.example.com` but not `example.com`.
 */
export function serverNameScore(pattern: string, name: string): number {
  if (name === '') return -1;
  if (pattern === name) return EXACT_NAME;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1);
    if (name.length > suffix.length && name.endsWith(suffix)) return suffix.length;
  }
  return -1;
}

function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** Longest matching prefix length, or -1. */
function longestMatch(ranges: readonly CidrModel[], ip: string): number {
  const addr = normalize(ip);
  const family = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
  let best = -1;
  for (const r of ranges) {
    const rf = net.isIPv6(r.address) ? 'ipv6' : 'ipv4';
    if (rf !== family) continue;
    const bl = new net.BlockList();
    try {
      bl.addSubnet(r.address, r.prefixLen, rf);
    } catch {
      continue;
    }
    if (bl.check(addr, family) && r.prefixLen > best) best = r.prefixLen;
  }
  return best;
}

type Stage = (c: Matchable, info: ConnectionInfo) => { specified: boolean; score: number };

const STAGES: Stage[] = [
  (c, i) =>
    c.match.destinationPort === undefined
      ? { specified: false, score: 0 }
      : { specified: true, score: c.match.destinationPort === i.destinationPort ? 1 : -1 },
  (c, i) =>
    c.match.prefixRanges.length === 0
      ? { specified: false, score: 0 }
      : { specified: true, score: longestMatch(c.match.prefixRanges, i.destinationIp) },
  (c, i) =>
    c.match.serverNames.length === 0
      ? { specified: false, score: 0 }
      : {
          specified: true,
          score: Math.max(...c.match.serverNames.map((p) => serverNameScore(p, i.serverName))),
        },
  (c, i) =>
    c.match.transportProtocol === ''
      ? { specified: false, score: 0 }
      : { specified: true, score: c.match.transportProtocol === i.transportProtocol ? 1 : -1 },
  (c, i) =>
    c.match.applicationProtocols.length === 0
      ? { specified: false, score: 0 }
      : {
          specified: true,
          score: c.match.applicationProtocols.some((p) => i.applicationProtocols.includes(p)) ? 1 : -1,
        },
  (c, i) =>
    c.match.sourcePrefixRanges.length === 0
      ? { specified: false, score: 0 }
      : { specified: true, score: longestMatch(c.match.sourcePrefixRanges, i.sourceIp) },
  (c, i) =>
    c.match.sourcePorts.length === 0
      ? { specified: false, score: 0 }
      : { specified: true, score: c.match.sourcePorts.includes(i.sourcePort) ? 1 : -1 },
];

export function selectFilterChain<T extends Matchable>(
  chains: readonly T[],
  info: ConnectionInfo,
): T | undefined {
  let candidates = [...chains];
  for (const stage of STAGES) {
    const scored = candidates.map((c) => ({ c, r: stage(c, info) }));
    const matching = scored.filter((s) => s.r.specified && s.r.score >= 0);
    if (matching.length > 0) {
      const best = Math.max(...matching.map((s) => s.r.score));
      candidates = matching.filter((s) => s.r.score === best).map((s) => s.c);
    } else candidates = scored.filter((s) => !s.r.specified).map((s) => s.c);
    if (candidates.length === 0) return undefined;
  }
  return candidates[0];
}

/** Whether any chain depends on the application protocol (so sniffing must finish before matching). */
export function needsApplicationProtocol(chains: readonly FilterChainModel[]): boolean {
  return chains.some((c) => c.match.applicationProtocols.length > 0);
}

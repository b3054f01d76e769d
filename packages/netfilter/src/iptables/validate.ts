// The interception config, its defaults, and validation. Validation returns every issue at once (with
// the field path and the offending value) instead of stopping at the first, so an operator fixing a
// pod annotation sees the whole list.
import { isIPv4, isIPv6 } from 'node:net';
import type { NetfilterConfigIssue } from '../errors.js';

/** What to capture. Every field is optional; defaults follow Istio's sidecar where Istio has one. */
export interface InterceptionConfig {
  /** Where outbound TCP is REDIRECTed (the proxy's outbound capture listener). Default 15001. */
  readonly outboundPort?: number;
  /** Where inbound TCP is REDIRECTed (the proxy's inbound capture listener). Default 15006. */
  readonly inboundPort?: number;
  /** Processes with these uids are never captured: the proxy's own upstream connections. Default [1337]. */
  readonly proxyUids?: readonly number[];
  /** Same by gid (a proxy may run with a fixed group under a random uid, as on OpenShift). Default [1337]. */
  readonly proxyGids?: readonly number[];
  /** Inbound ports to capture: '*' (all but the excluded), or a list (only those). [] turns inbound off. */
  readonly includeInboundPorts?: '*' | readonly number[];
  /** Inbound ports never captured, added to DEFAULT_EXCLUDED_INBOUND_PORTS. */
  readonly excludeInboundPorts?: readonly number[];
  /** Outbound destinations to capture: '*' or CIDRs. [] turns outbound off. Default '*'. */
  readonly includeOutboundCidrs?: '*' | readonly string[];
  /** Outbound destinations never captured (e.g. the cluster's API server, a metadata endpoint). */
  readonly excludeOutboundCidrs?: readonly string[];
  /** Outbound destination ports never captured (e.g. a database the mesh must not touch). */
  readonly excludeOutboundPorts?: readonly number[];
  /** Also generate ip6tables rules (IPv6 CIDRs above are used only then). Default false. */
  readonly ipv6?: boolean;
}

/**
 * Inbound ports that reach their listener directly even when everything else is captured:
 * 15000 proxy admin, 15020 agent health/control, 15090 proxy Prometheus (scrapes must work while the
 * proxy is being reconfigured), 22222 the app's QoS online/offline (the lossless sequences call it while
 * interception changes, so it must never depend on the proxy).
 */
export const DEFAULT_EXCLUDED_INBOUND_PORTS: readonly number[] = [15000, 15020, 15090, 22222];

export const DEFAULTS = {
  outboundPort: 15001,
  inboundPort: 15006,
  proxyUid: 1337,
  proxyGid: 1337,
} as const;

/** A validated config with defaults filled in, ports sorted and de-duplicated, CIDRs split by family. */
export interface ResolvedInterceptionConfig {
  readonly outboundPort: number;
  readonly inboundPort: number;
  readonly proxyUids: readonly number[];
  readonly proxyGids: readonly number[];
  readonly includeInboundPorts: '*' | readonly number[];
  readonly excludeInboundPorts: readonly number[];
  readonly includeOutboundCidrs: '*' | { readonly ipv4: readonly string[]; readonly ipv6: readonly string[] };
  readonly excludeOutboundCidrs: { readonly ipv4: readonly string[]; readonly ipv6: readonly string[] };
  readonly excludeOutboundPorts: readonly number[];
  readonly ipv6: boolean;
}

export type ValidationResult =
  | { readonly valid: true; readonly config: ResolvedInterceptionConfig }
  | { readonly valid: false; readonly issues: readonly NetfilterConfigIssue[] };

const MAX_ID = 4294967294; // (uid_t)-1 means "no change" to the kernel, so it cannot name an owner
const MAX_LIST = 1024; // bounds the rule count: each entry becomes one iptables rule

export function validateConfig(config: InterceptionConfig): ValidationResult {
  const issues: NetfilterConfigIssue[] = [];

  const port = (path: string, value: unknown): number | undefined => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
    issues.push({
      code: 'NETFILTER_ERR_INVALID_PORT',
      path,
      message: `${show(value)} is not a port (an integer in 1..65535)`,
    });
    return undefined;
  };
  const id = (path: string, value: unknown): number | undefined => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID) return value;
    issues.push({
      code: 'NETFILTER_ERR_INVALID_ID',
      path,
      message: `${show(value)} is not a uid/gid (an integer in 0..${MAX_ID})`,
    });
    return undefined;
  };
  const list = <T>(
    path: string,
    value: readonly unknown[] | undefined,
    code: NetfilterConfigIssue['code'],
    each: (p: string, v: unknown) => T | undefined,
  ): T[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      issues.push({ code, path, message: `${show(value)} is not a list` });
      return [];
    }
    if (value.length > MAX_LIST) {
      issues.push({ code, path, message: `${value.length} entries, more than the limit of ${MAX_LIST}` });
      return [];
    }
    const out: T[] = [];
    value.forEach((v, i) => {
      const r = each(`${path}[${i}]`, v);
      if (r !== undefined) out.push(r);
    });
    return out;
  };
  const portList = (path: string, value: readonly unknown[] | undefined) =>
    uniqueSorted(list(path, value, 'NETFILTER_ERR_INVALID_PORT', port));
  const cidrList = (path: string, value: readonly unknown[] | undefined) => {
    const cidrs = list(path, value, 'NETFILTER_ERR_INVALID_CIDR', (p, v) => {
      const parsed = parseCidr(v);
      if (parsed === undefined) {
        issues.push({
          code: 'NETFILTER_ERR_INVALID_CIDR',
          path: p,
          message: `${show(v)} is not a CIDR (address/prefix, e.g. 10.0.0.0/8 or fd00::/8)`,
        });
      }
      return parsed;
    });
    return {
      ipv4: [...new Set(cidrs.filter((c) => c.family === 4).map((c) => c.text))],
      ipv6: [...new Set(cidrs.filter((c) => c.family === 6).map((c) => c.text))],
    };
  };

  const outboundPort = port('outboundPort', config.outboundPort ?? DEFAULTS.outboundPort);
  const inboundPort = port('inboundPort', config.inboundPort ?? DEFAULTS.inboundPort);
  const proxyUids = uniqueSorted(
    list('proxyUids', config.proxyUids ?? [DEFAULTS.proxyUid], 'NETFILTER_ERR_INVALID_ID', id),
  );
  const proxyGids = uniqueSorted(
    list('proxyGids', config.proxyGids ?? [DEFAULTS.proxyGid], 'NETFILTER_ERR_INVALID_ID', id),
  );
  const includeInboundPorts =
    config.includeInboundPorts === '*' || config.includeInboundPorts === undefined
      ? '*'
      : portList('includeInboundPorts', config.includeInboundPorts);
  const excludeInboundPorts = uniqueSorted([
    ...DEFAULT_EXCLUDED_INBOUND_PORTS,
    ...portList('excludeInboundPorts', config.excludeInboundPorts),
  ]);
  const includeOutboundCidrs =
    config.includeOutboundCidrs === '*' || config.includeOutboundCidrs === undefined
      ? '*'
      : cidrList('includeOutboundCidrs', config.includeOutboundCidrs);
  const excludeOutboundCidrs = cidrList('excludeOutboundCidrs', config.excludeOutboundCidrs);
  const excludeOutboundPorts = portList('excludeOutboundPorts', config.excludeOutboundPorts);
  if (proxyUids.length === 0 && proxyGids.length === 0 && issues.length === 0) {
    // Without an owner exclusion the proxy's own upstream connections are captured again: a loop.
    issues.push({
      code: 'NETFILTER_ERR_INVALID_ID',
      path: 'proxyUids',
      message: 'proxyUids and proxyGids are both empty; at least one is needed or the proxy captures itself',
    });
  }

  if (issues.length > 0 || outboundPort === undefined || inboundPort === undefined) {
    return { valid: false, issues };
  }
  return {
    valid: true,
    config: {
      outboundPort,
      inboundPort,
      proxyUids,
      proxyGids,
      includeInboundPorts,
      excludeInboundPorts,
      includeOutboundCidrs,
      excludeOutboundCidrs,
      excludeOutboundPorts,
      ipv6: config.ipv6 === true,
    },
  };
}

interface Cidr {
  readonly family: 4 | 6;
  readonly text: string;
}

/** `address/prefix` with a prefix in range for the family; returns it as written (lower-cased). */
export function parseCidr(value: unknown): Cidr | undefined {
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  if (slash <= 0) return undefined;
  const address = value.slice(0, slash);
  const prefixText = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix <= 32) return { family: 4, text: `${address}/${prefix}` };
  if (isIPv6(address) && !address.includes('%') && prefix <= 128) {
    return { family: 6, text: `${address.toLowerCase()}/${prefix}` };
  }
  return undefined;
}

function uniqueSorted(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

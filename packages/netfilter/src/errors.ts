// One table of every code @strait/netfilter reports. Callers (proxy, agent) branch on `code`, never on
// message text; docs/errors.md lists the same codes and a test keeps the two in sync.

import { StraitError } from '@strait/errors';

export const NETFILTER_CODES = {
  NETFILTER_ERR_ADDON_UNAVAILABLE:
    'the native addon (dist/native/original_dst.node) is missing or does not load: not Linux, or not built',
  NETFILTER_ERR_NO_FD:
    'the socket has no file descriptor (not connected yet, destroyed, or not a TCP socket)',
  NETFILTER_ERR_ORIGINAL_DST: 'getsockopt(SO_ORIGINAL_DST) failed with an errno other than ENOENT',
  NETFILTER_ERR_INVALID_CONFIG: 'the interception config failed validation (issues list every problem)',
  NETFILTER_ERR_INVALID_PORT: 'a port is not an integer in 1..65535',
  NETFILTER_ERR_INVALID_CIDR: 'an address range is not a valid IPv4/IPv6 CIDR (or "*")',
  NETFILTER_ERR_INVALID_ID: 'a uid or gid is not an integer in 0..4294967294',
  NETFILTER_ERR_COMMAND_NOT_FOUND: 'iptables, iptables-restore or ip is not installed (or not on PATH)',
  NETFILTER_ERR_COMMAND_FAILED:
    'an iptables/ip command exited non-zero; the error carries argv, status, stderr',
  NETFILTER_ERR_COMMAND_TIMEOUT: 'an iptables/ip command did not finish within its time bound and was killed',
  NETFILTER_ERR_NOT_ROOT: 'the network-namespace test harness needs root (uid 0)',
} as const;

export type NetfilterErrorCode = keyof typeof NETFILTER_CODES;

// The one base of every Strait exception; re-exported so `StraitError` keeps resolving from this package.
export { StraitError };

/** Any error raised by @strait/netfilter. */
export class NetfilterError extends StraitError {
  declare readonly code: NetfilterErrorCode;

  constructor(
    code: NetfilterErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, context, options);
  }
}

export class NetfilterAddonUnavailableError extends NetfilterError {
  constructor(path: string, options?: ErrorOptions) {
    const why = process.platform === 'linux' ? 'run `pnpm --filter @strait/netfilter build`' : 'Linux only';
    super(
      'NETFILTER_ERR_ADDON_UNAVAILABLE',
      `the SO_ORIGINAL_DST addon ${path} cannot be loaded (${why})`,
      { path },
      options,
    );
  }
}

export class NetfilterNoFdError extends NetfilterError {
  constructor(reason: string) {
    super('NETFILTER_ERR_NO_FD', `cannot read the original destination: ${reason}`, { reason });
  }
}

/**
 * getsockopt failed. `errno` is the number, `errnoName` its symbolic name (`ENOPROTOOPT` when the kernel
 * has no conntrack for the socket's family, `ENOTCONN`, `EBADF`...). ENOENT never surfaces: it means
 * "not redirected" and is returned as `undefined`.
 */
export class NetfilterOriginalDstError extends NetfilterError {
  readonly errno: number;
  readonly errnoName: string;

  constructor(errno: number, errnoName: string, fd: number) {
    super(
      'NETFILTER_ERR_ORIGINAL_DST',
      `getsockopt(SO_ORIGINAL_DST) on fd ${fd} failed: ${errnoName} (errno ${errno})`,
      { errno, errnoName, fd },
    );
    this.errno = errno;
    this.errnoName = errnoName;
  }
}

/** Codes a single validation issue can carry. */
export type NetfilterIssueCode = Extract<
  NetfilterErrorCode,
  'NETFILTER_ERR_INVALID_PORT' | 'NETFILTER_ERR_INVALID_CIDR' | 'NETFILTER_ERR_INVALID_ID'
>;

/** One problem in an InterceptionConfig: `path` names the field (`excludeOutboundCidrs[2]`). */
export interface NetfilterConfigIssue {
  readonly code: NetfilterIssueCode;
  readonly path: string;
  readonly message: string;
}

/** Thrown at API boundaries (`buildRules`) when validation found issues; all of them are in `issues`. */
export class NetfilterInvalidConfigError extends NetfilterError {
  readonly issues: readonly NetfilterConfigIssue[];

  constructor(issues: readonly NetfilterConfigIssue[]) {
    const list = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    super('NETFILTER_ERR_INVALID_CONFIG', `invalid interception config: ${list}`, { issues });
    this.issues = issues;
  }
}

export class NetfilterCommandNotFoundError extends NetfilterError {
  readonly argv: readonly string[];

  constructor(argv: readonly string[], options?: ErrorOptions) {
    super(
      'NETFILTER_ERR_COMMAND_NOT_FOUND',
      `${argv[0]} not found: install iptables and iproute2 (./run system-deps)`,
      { argv },
      options,
    );
    this.argv = argv;
  }
}

export class NetfilterCommandFailedError extends NetfilterError {
  readonly argv: readonly string[];
  readonly status: number | null;
  readonly stderr: string;

  constructor(argv: readonly string[], status: number | null, stderr: string) {
    const detail = stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n')[0]}`;
    super('NETFILTER_ERR_COMMAND_FAILED', `\`${argv.join(' ')}\` exited with ${status}${detail}`, {
      argv,
      status,
      stderr,
    });
    this.argv = argv;
    this.status = status;
    this.stderr = stderr;
  }
}

export class NetfilterCommandTimeoutError extends NetfilterError {
  readonly argv: readonly string[];
  readonly timeoutMs: number;

  constructor(argv: readonly string[], timeoutMs: number) {
    super('NETFILTER_ERR_COMMAND_TIMEOUT', `\`${argv.join(' ')}\` did not finish within ${timeoutMs} ms`, {
      argv,
      timeoutMs,
    });
    this.argv = argv;
    this.timeoutMs = timeoutMs;
  }
}

export class NetfilterNotRootError extends NetfilterError {
  constructor(uid: string) {
    super(
      'NETFILTER_ERR_NOT_ROOT',
      `root is required: network-namespace tests create namespaces, veth pairs and iptables rules (id -u is ${uid}); run them as root`,
      { uid },
    );
  }
}

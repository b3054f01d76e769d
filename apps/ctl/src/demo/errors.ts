// The demo's failures, each with a stable code the CLI prints (`strait demo: CTL_ERR_START: ...`).

export type DemoErrorCode =
  /** A component did not come up: the message names it and carries the tail of its log. */
  | 'CTL_ERR_START'
  /** A component exited while the demo was running. */
  | 'CTL_ERR_EXITED'
  /** A workspace binary (pilot, proxy, registry) is not built. */
  | 'CTL_ERR_NOT_BUILT'
  /** Ctrl-C (or SIGTERM) arrived while the mesh was starting; what had started was stopped. */
  | 'CTL_ERR_INTERRUPTED';

export class DemoError extends Error {
  override readonly name = 'DemoError';
  constructor(
    readonly code: DemoErrorCode,
    message: string,
    readonly component?: string,
  ) {
    super(message);
  }
}

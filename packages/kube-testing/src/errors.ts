// One error class with stable codes (the package-wide convention): tests that use the harness can tell
// "the toolchain is missing" from "the server did not come up" without parsing messages.

import { StraitError } from '@strait/errors';

export const KubeTestingErrorCodes = {
  /** The `go` command is not on PATH, so kube-apiserver cannot be built. */
  KT_ERR_NO_GO: 'go toolchain not found',
  /** `go build` of kube-apiserver failed or timed out. */
  KT_ERR_BUILD: 'kube-apiserver build failed',
  /** Another process held the build lock for longer than the wait bound. */
  KT_ERR_LOCK_TIMEOUT: 'timed out waiting for the kube-apiserver build lock',
  /** etcd or kube-apiserver exited, or did not become ready within the start bound. */
  KT_ERR_START: 'test control plane did not start',
  /** A module could not be fetched from the Go module proxy, or lacks the expected file. */
  KT_ERR_MODULE: 'Go module fetch failed',
  /** A CRD could not be created or did not become established in time. */
  KT_ERR_CRD: 'CRD install failed',
} as const;

export type KubeTestingErrorCode = keyof typeof KubeTestingErrorCodes;

export class KubeTestingError extends StraitError {
  declare readonly code: KubeTestingErrorCode;

  constructor(code: KubeTestingErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(
      code,
      detail ? `${KubeTestingErrorCodes[code]}: ${detail}` : KubeTestingErrorCodes[code],
      {},
      options,
    );
  }
}

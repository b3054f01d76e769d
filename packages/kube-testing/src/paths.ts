// Where things live. This file sits one level below the package root both as src/paths.ts (tests run
// from source) and as dist/paths.js (other packages import the build), so `..` is the package root.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Our Go module (go.mod, go.sum, main.go) that builds kube-apiserver. */
export const apiserverModuleDir = join(packageDir, 'apiserver');

/** The repository root (deploy/crds lives there). */
export const repoDir = join(packageDir, '..', '..');

/** The Kubernetes version our go.mod pins, e.g. `v1.36.3`. */
export function kubernetesVersion(): string {
  const mod = readFileSync(join(apiserverModuleDir, 'go.mod'), 'utf8');
  const m = /^\s*(?:require\s+)?k8s\.io\/kubernetes\s+(v\S+)\s*$/m.exec(mod);
  if (!m) throw new Error(`${apiserverModuleDir}/go.mod does not require k8s.io/kubernetes`);
  return m[1]!;
}

/** `$STRAIT_CACHE_DIR`, else `$XDG_CACHE_HOME/strait`, else `~/.cache/strait`. */
export function cacheDir(): string {
  const env = process.env;
  if (env['STRAIT_CACHE_DIR']) return env['STRAIT_CACHE_DIR'];
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'strait');
}

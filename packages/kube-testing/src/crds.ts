// CustomResourceDefinitions for tests: Istio's come from the Go module proxy (the istio.io/api module
// ships kubernetes/customresourcedefinitions.gen.yaml), fetched into the Go module cache at test time and
// never copied into this repository; Strait's own are deploy/crds/*.yaml.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { KubeApiServer } from './apiserver.js';
import { KubeTestingError } from './errors.js';
import { repoDir } from './paths.js';
import { sleep } from './process.js';

/** The istio.io/api release whose CRDs tests install (Istio 1.32's networking.istio.io/v1 schemas). */
export const ISTIO_API_VERSION = 'v1.32.0';

const run = promisify(execFile);

/** Path of Istio's CRD bundle inside the Go module cache, downloading the module when missing. */
export async function istioCrdFile(version = ISTIO_API_VERSION): Promise<string> {
  let out: string;
  try {
    // From a temp dir: outside any module, `go mod download m@v` only fills the module cache.
    ({ stdout: out } = await run('go', ['mod', 'download', '-json', `istio.io/api@${version}`], {
      cwd: tmpdir(),
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      timeout: 180_000,
      maxBuffer: 1 << 20,
    }));
  } catch (err) {
    const e = err as { stdout?: string; message: string };
    throw new KubeTestingError('KT_ERR_MODULE', `istio.io/api@${version}: ${e.stdout || e.message}`, {
      cause: err,
    });
  }
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (info.Error || !info.Dir) throw new KubeTestingError('KT_ERR_MODULE', info.Error ?? 'no Dir');
  const file = join(info.Dir, 'kubernetes', 'customresourcedefinitions.gen.yaml');
  if (!existsSync(file)) throw new KubeTestingError('KT_ERR_MODULE', `${file} is missing`);
  return file;
}

/** Strait's CRDs (mesh.strait.io). */
export function straitCrdFile(): string {
  return join(repoDir, 'deploy', 'crds', 'strait.yaml');
}

interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    names: { plural: string; kind: string };
    versions: { name: string; served: boolean }[];
  };
}

/** The CustomResourceDefinition documents of a YAML file, optionally only some groups or kinds. */
export function readCrds(file: string, filter?: { groups?: string[]; kinds?: string[] }): Crd[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((d): d is Crd => (d as { kind?: unknown } | null)?.kind === 'CustomResourceDefinition');
  return docs.filter(
    (c) =>
      (!filter?.groups || filter.groups.includes(c.spec.group)) &&
      (!filter?.kinds || filter.kinds.includes(c.spec.names.kind)),
  );
}

/**
 * Creates CRDs (kept as written: raw JSON, no typed client re-serializing their schemas), then waits
 * until each is Established and every served version answers a list, so callers can use them at once.
 */
export async function installCrds(
  server: KubeApiServer,
  crds: readonly Crd[],
  timeoutMs = 60_000,
): Promise<void> {
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  for (const crd of crds) {
    const res = await server.request('POST', base, crd);
    if (res.status !== 201 && res.status !== 409)
      throw new KubeTestingError(
        'KT_ERR_CRD',
        `${crd.metadata.name}: HTTP ${res.status} ${res.body.slice(0, 2_000)}`,
      );
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      if (await crdReady(server, crd)) break;
      if (Date.now() > deadline)
        throw new KubeTestingError(
          'KT_ERR_CRD',
          `${crd.metadata.name} not established after ${timeoutMs} ms`,
        );
      await sleep(100);
    }
  }
}

async function crdReady(server: KubeApiServer, crd: Crd): Promise<boolean> {
  const res = await server.get(
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
  );
  if (res.status !== 200) return false;
  const status = JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } };
  if (!status.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
  for (const v of crd.spec.versions.filter((x) => x.served)) {
    const list = await server.get(`/apis/${crd.spec.group}/${v.name}/${crd.spec.names.plural}?limit=1`);
    if (list.status !== 200) return false;
  }
  return true;
}

/** Istio's networking.istio.io CRDs (all kinds unless `kinds` is given) from istio.io/api. */
export async function installIstioCrds(
  server: KubeApiServer,
  options: { version?: string; kinds?: string[] } = {},
): Promise<void> {
  const file = await istioCrdFile(options.version);
  const filter: { groups: string[]; kinds?: string[] } = { groups: ['networking.istio.io'] };
  if (options.kinds) filter.kinds = options.kinds;
  await installCrds(server, readCrds(file, filter));
}

/** Strait's mesh.strait.io CRDs from deploy/crds/strait.yaml. */
export async function installStraitCrds(server: KubeApiServer): Promise<void> {
  await installCrds(server, readCrds(straitCrdFile()));
}

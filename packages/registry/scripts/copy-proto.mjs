// Copies the registry proto into dist/proto/ so an installed package can load it at run time
// (inside the repo, src/ and dist/ also find it under the root proto/).
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const rel = 'strait/registry/v1/registry.proto';
const to = join(pkg, 'dist', 'proto', rel);
mkdirSync(dirname(to), { recursive: true });
cpSync(join(pkg, '..', '..', 'proto', rel), to);

// tsc does not copy the generated descriptor; put it beside the compiled modules in dist/gen.
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
cpSync(join(pkg, 'src', 'gen'), join(pkg, 'dist', 'gen'), { recursive: true });

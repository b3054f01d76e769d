// Builds native/original_dst.c into dist/native/original_dst.node with gcc against the Node-API headers that
// the node-api-headers package ships. Why not node-gyp: it downloads Node's full headers at build time,
// which CI and air-gapped machines cannot do, and an N-API addon needs only these few headers. Why in
// `build` and not an install script: nothing runs at `pnpm install`, and turbo caches the output.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const headers = require('node-api-headers');

if (process.platform !== 'linux') {
  // SO_ORIGINAL_DST is a Linux netfilter option; elsewhere the wrapper reports the addon as unavailable.
  console.log('@strait/netfilter: not Linux, skipping the native addon');
  process.exit(0);
}

const cc = process.env.CC ?? 'gcc';
// Into dist/ because the turbo build task's cached outputs are dist/** (a cache hit restores the addon
// with the JS) and files: ["dist"] publishes it.
const out = join(root, 'dist', 'native', 'original_dst.node');
mkdirSync(dirname(out), { recursive: true });
const args = [
  '-shared',
  '-fPIC',
  '-O2',
  '-std=c11',
  '-Wall',
  '-Wextra',
  '-fvisibility=hidden',
  `-I${headers.include_dir}`,
  '-o',
  out,
  join(root, 'native', 'original_dst.c'),
];
try {
  execFileSync(cc, args, { stdio: 'inherit', timeout: 60_000 });
} catch (err) {
  console.error(`@strait/netfilter: ${cc} ${args.join(' ')} failed`);
  throw err;
}
console.log(`@strait/netfilter: built ${out}`);

#!/usr/bin/env node
// `pnpm --filter @strait/kube-testing prepare-apiserver`: builds (or finds) the cached kube-apiserver.
// CI can run it up front so no test's hook spends its time budget on the build; tests also call
// prepareApiserver() themselves, so skipping this step only moves the wait.
import { prepareApiserver } from '../prepare.js';

try {
  const bin = await prepareApiserver();
  const how = bin.built ? `built in ${bin.buildSeconds} s` : 'cached';
  process.stdout.write(`kube-apiserver ${bin.version}: ${bin.path} (${how})\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}

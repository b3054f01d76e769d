// Loads an Envoy-shaped bootstrap (YAML or JSON, snake_case, "@type" Anys) into the generated Bootstrap
// type. All mapping problems are reported together with their field paths.
import { readFileSync } from 'node:fs';
import { envoy } from '@strait/xds';
import { parse as parseYaml } from 'yaml';
import { formatIssue, IssueList, ProxyError } from '../errors.js';
import { fromProto3Json } from './proto-json.js';

export type Bootstrap = envoy.config.bootstrap.v3.Bootstrap;

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

/** Parses bootstrap text (YAML is a superset of JSON). Throws ProxyError with every issue. */
export function parseBootstrap(text: string, source = 'bootstrap'): Bootstrap {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new ProxyError('PROXY_ERR_BOOTSTRAP_PARSE', `${source}: ${(err as Error).message}`, { cause: err });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ProxyError('PROXY_ERR_BOOTSTRAP_PARSE', `${source}: the document is not a mapping`);
  }
  const issues = new IssueList('Bootstrap');
  const obj = fromProto3Json(BOOTSTRAP, doc, issues);
  if (!issues.ok) {
    throw new ProxyError(
      'PROXY_ERR_BOOTSTRAP_PARSE',
      `${source}: ${issues.items.map(formatIssue).join('; ')}`,
      { issues: issues.items },
    );
  }
  try {
    return envoy.config.bootstrap.v3.Bootstrap.fromObject(obj);
  } catch (err) {
    throw new ProxyError('PROXY_ERR_BOOTSTRAP_PARSE', `${source}: ${(err as Error).message}`, { cause: err });
  }
}

export function loadBootstrapFile(file: string): Bootstrap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProxyError('PROXY_ERR_BOOTSTRAP_READ', `${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseBootstrap(text, file);
}

// validate(): one entry point from an untyped YAML value to a typed, accepted config object or the full
// list of what is wrong with it. Structure (unknown fields, types, required) is checked from schemas,
// then each kind's semantic rules run on whatever is well-typed, so one pass reports everything.

import type { ConfigIssue } from '../errors.js';
import { ISTIO_NETWORKING_LEGACY } from '../kinds/common.js';
import { CONFIG_KINDS, type ConfigKind, type ConfigObject } from '../kinds/index.js';
import { envelope } from './common.js';
import { destinationRuleSpec, validateDestinationRule } from './destination-rule.js';
import { Issues, isObj, type Obj, show } from './issues.js';
import { rpcRouteSpec, validateRpcRoute } from './rpc-route.js';
import { type Schema, walk } from './schema.js';
import { serviceEntrySpec, validateServiceEntry } from './service-entry.js';
import { sidecarSpec, validateSidecar } from './sidecar.js';
import { checkLabels, isDns1123Label, isDns1123Subdomain } from './values.js';
import { validateVirtualService, virtualServiceSpec } from './virtual-service.js';

interface KindRules {
  spec: Schema;
  validate: (spec: Obj, issues: Issues) => void;
}

const RULES: Record<ConfigKind, KindRules> = {
  VirtualService: { spec: virtualServiceSpec, validate: validateVirtualService },
  DestinationRule: { spec: destinationRuleSpec, validate: validateDestinationRule },
  ServiceEntry: { spec: serviceEntrySpec, validate: validateServiceEntry },
  Sidecar: { spec: sidecarSpec, validate: validateSidecar },
  RpcRoute: { spec: rpcRouteSpec, validate: validateRpcRoute },
};

const ENVELOPES = Object.fromEntries(
  Object.entries(RULES).map(([kind, r]) => [kind, envelope(r.spec)]),
) as Record<ConfigKind, Schema>;

/** The full schema of a kind, for docs and tooling. */
export function kindSchema(kind: ConfigKind): Schema {
  return ENVELOPES[kind];
}

/** Best-effort identity of an object, known even when it is invalid, for reports and last-good lookups. */
export interface ConfigRef {
  kind?: string;
  namespace?: string;
  name?: string;
}

export type ValidationResult =
  | { ok: true; object: ConfigObject; ref: Required<ConfigRef>; errors: []; warnings: ConfigIssue[] }
  | { ok: false; object?: undefined; ref: ConfigRef; errors: ConfigIssue[]; warnings: ConfigIssue[] };

export interface ValidateOptions {
  /** Namespace given to objects without one (Istio's file source does the same). Default "default". */
  defaultNamespace?: string;
}

export function isConfigKind(kind: unknown): kind is ConfigKind {
  return typeof kind === 'string' && Object.hasOwn(CONFIG_KINDS, kind);
}

/** Identity as far as it can be read from an unvalidated value. */
export function refOf(raw: unknown, defaultNamespace = 'default'): ConfigRef {
  if (!isObj(raw)) return {};
  const ref: ConfigRef = {};
  if (typeof raw['kind'] === 'string') ref.kind = raw['kind'];
  const meta = raw['metadata'];
  if (isObj(meta)) {
    if (typeof meta['name'] === 'string') ref.name = meta['name'];
    ref.namespace =
      typeof meta['namespace'] === 'string' && meta['namespace'] !== ''
        ? meta['namespace']
        : defaultNamespace;
  }
  return ref;
}

/** Validate one decoded YAML/JSON document. Never throws. */
export function validate(raw: unknown, options: ValidateOptions = {}): ValidationResult {
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const issues = new Issues();
  const ref = refOf(raw, defaultNamespace);
  if (!isObj(raw)) {
    issues.error(
      'CFG_ERR_NOT_AN_OBJECT',
      '',
      `a config document must be a mapping, got ${Array.isArray(raw) ? 'a list' : show(raw)}`,
    );
    return { ok: false, ref, errors: issues.errors, warnings: issues.warnings };
  }
  const kind = raw['kind'];
  const apiVersion = raw['apiVersion'];
  if (!isConfigKind(kind)) {
    issues.error(
      kind === undefined ? 'CFG_ERR_MISSING_FIELD' : 'CFG_ERR_UNKNOWN_KIND',
      'kind',
      kind === undefined
        ? '"kind" is required'
        : `kind ${show(kind)} is not one of ${Object.keys(CONFIG_KINDS).join(', ')}`,
    );
    return { ok: false, ref, errors: issues.errors, warnings: issues.warnings };
  }
  const expected = CONFIG_KINDS[kind];
  let normalizedApiVersion: string = expected;
  if (apiVersion !== expected) {
    if (
      expected === 'networking.istio.io/v1' &&
      (ISTIO_NETWORKING_LEGACY as readonly unknown[]).includes(apiVersion)
    ) {
      issues.warn(
        'CFG_WARN_DEPRECATED',
        'apiVersion',
        `apiVersion ${show(apiVersion)} is deprecated: use ${expected}`,
      );
    } else {
      issues.error(
        apiVersion === undefined ? 'CFG_ERR_MISSING_FIELD' : 'CFG_ERR_UNKNOWN_KIND',
        'apiVersion',
        apiVersion === undefined
          ? '"apiVersion" is required'
          : `apiVersion ${show(apiVersion)} does not serve ${kind}: use ${expected}`,
      );
      normalizedApiVersion = String(apiVersion);
    }
  }

  const cleaned = walk(raw, ENVELOPES[kind], '', issues, kind);
  validateMetadata(raw['metadata'], issues);
  // Semantic rules see the cleaned spec: unsupported fields (already warned about) count as absent.
  const spec = isObj(cleaned) ? cleaned['spec'] : undefined;
  if (isObj(spec)) RULES[kind].validate(spec, issues);

  if (issues.errors.length > 0) return { ok: false, ref, errors: issues.errors, warnings: issues.warnings };
  const out = cleaned as Obj;
  delete out['status'];
  out['apiVersion'] = normalizedApiVersion;
  const metadata = out['metadata'] as Obj;
  if (typeof metadata['namespace'] !== 'string' || metadata['namespace'] === '')
    metadata['namespace'] = defaultNamespace;
  const object = out as unknown as ConfigObject;
  return {
    ok: true,
    object,
    ref: { kind, namespace: metadata['namespace'] as string, name: metadata['name'] as string },
    errors: [],
    warnings: issues.warnings,
  };
}

function validateMetadata(meta: unknown, issues: Issues): void {
  if (!isObj(meta)) return;
  const name = meta['name'];
  if (typeof name === 'string' && !isDns1123Subdomain(name))
    issues.error(
      'CFG_ERR_INVALID_NAME',
      'metadata.name',
      `name ${show(name)} is not a DNS-1123 subdomain (lower-case, digits, "-", ".", <= 253)`,
    );
  const ns = meta['namespace'];
  if (typeof ns === 'string' && ns !== '' && !isDns1123Label(ns))
    issues.error(
      'CFG_ERR_INVALID_NAME',
      'metadata.namespace',
      `namespace ${show(ns)} is not a DNS-1123 label (lower-case, digits, "-", <= 63)`,
    );
  checkLabels(issues, 'metadata.labels', meta['labels']);
}

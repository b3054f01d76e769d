// @strait/kube: Kubernetes plumbing shared by @strait/config (Istio config from CRDs) and
// @strait/registry (the kubernetes:// backend). Importing it loads @kubernetes/client-node, which takes
// seconds: callers import it lazily (`await import('@strait/kube')`, or from a module that is itself
// imported only when Kubernetes is used) and use `import type` elsewhere.
export { type ListFn, Reflector, type ReflectorOptions } from './reflector.js';

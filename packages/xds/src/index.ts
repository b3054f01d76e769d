// The public surface of @strait/xds. Generated namespaces stay exported for callers that need a
// message the typed codecs do not wrap; the stream state lives behind the `./stream` subpath.
export * from './codec/index.js';
export * from './errors.js';
export { envoy, google, strait, xds } from './gen/protos.js';
export * from './resources/index.js';
export * from './type-urls.js';

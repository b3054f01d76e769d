// envoy.filters.http.router: the terminal HTTP filter. Its typed config (Router) has nothing the proxy
// acts on yet; the route table carries the behaviour.
export const ROUTER_FILTER_NAME = 'envoy.filters.http.router';
export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';

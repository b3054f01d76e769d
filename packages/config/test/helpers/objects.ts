// Small builders for config documents used across tests.
export function vs(
  name: string,
  subset = 'v1',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'default' },
    spec: { hosts: [name], http: [{ route: [{ destination: { host: name, subset } }] }], ...extra },
  };
}

export function dr(name: string, subsets: string[] = ['v1']): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name },
    spec: { host: name, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) },
  };
}

export function vsYaml(name: string, subset = 'v1'): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
spec:
  hosts: [${name}]
  http:
  - route: [{destination: {host: ${name}, subset: ${subset}}}]
`;
}

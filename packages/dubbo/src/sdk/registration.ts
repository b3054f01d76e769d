// The seam between the SDK and a service registry. @strait/registry (written separately) will implement it;
// tests and demos pass a recorder. The SDK never imports a registry package.

export interface ExportedService {
  interface: string;
  version?: string;
  group?: string;
  methods: string[];
}

/** What a provider registers: where it listens and what it serves. */
export interface ProviderInstance {
  application: string;
  host: string;
  port: number;
  services: ExportedService[];
}

export interface RegistrationHooks {
  register(instance: ProviderInstance): void | Promise<void>;
  deregister(instance: ProviderInstance): void | Promise<void>;
}

// Programmatic entry points, for tests and for other tools embedding the CLI.
export { main } from './cli.js';
export type { Command } from './command.js';
export { COMMANDS } from './commands/index.js';
export { buildDemoResources, DEFAULT_DEMO, type DemoOptions, type DemoResources } from './demo/sample.js';
export { type CommandIo, UsageError } from './io.js';

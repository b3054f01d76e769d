// The command table: adding a command is a module under commands/ plus one line here.
import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { resourcesCommand } from './resources.js';
import { statusCommand } from './status.js';

export const COMMANDS: readonly Command[] = [demoCommand, resourcesCommand, statusCommand];

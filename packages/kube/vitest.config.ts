import { defineConfig } from 'vitest/config';
import { straitTestConfig } from '../../vitest.shared.mjs';

export default defineConfig(straitTestConfig(import.meta.dirname));

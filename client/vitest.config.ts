import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.js';

// Unit tests cover the pure modules (protocol state, layer choice, grid math) and run under node.
export default mergeConfig(shared, defineConfig({ test: { include: ['src/**/*.test.ts'] } }));

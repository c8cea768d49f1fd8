import { defineConfig, type PluginOption } from 'vite';
import solid from 'vite-plugin-solid';

// The gateway serves dist/ at `/` and the APIs at `/api` and `/ws` on the same origin. `vite dev`
// proxies both to ORIGO_DEV_GATEWAY (default: the `npm start` gateway).
const gateway = process.env.ORIGO_DEV_GATEWAY ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // vite-plugin-solid is typed against the root's vite (vitest's); the runtime contract is the same.
  plugins: [solid() as unknown as PluginOption],
  // Workspace packages resolve to their TypeScript sources ("source" export condition).
  resolve: { conditions: ['source', 'module', 'browser', 'development|production'] },
  build: { target: 'es2022', sourcemap: true, outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
      '/ws': { target: gateway.replace(/^http/, 'ws'), ws: true },
    },
  },
});

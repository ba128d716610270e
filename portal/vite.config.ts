import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The portal: built into portal/dist (served by the platform at /), or served with hot reload by
// `npm run dev:portal` on :5173, which passes API calls to the platform on :8000 (PORTAL_API).
const api = process.env.PORTAL_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500, sourcemap: false },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(['/auth', '/portal/api', '/admin', '/api', '/v1', '/health', '/problems', '/openapi.json', '/docs'].map((p) => [p, { target: api, changeOrigin: false }])),
  },
});

// Build of the web portal: `vite build --config web/vite.config.ts` (from the repository root)
// writes web/dist, served by the API server at `/` with an index.html fallback.
// Dev: `vite --config web/vite.config.ts` proxies /api to CARTES_API_URL (default http://127.0.0.1:3000).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { dsfrUsedIcons } from './vite-plugin-dsfr-icons.ts';

const webDir = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webDir,
  base: '/',
  publicDir: 'public',
  plugins: [react(), dsfrUsedIcons({ srcDir: fileURLToPath(new URL('./src', import.meta.url)) })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The server's CSP forbids inline scripts; Vite emits none, keep module preload polyfill off too.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: {
      '/api': { target: process.env.CARTES_API_URL ?? 'http://127.0.0.1:3000', changeOrigin: false },
    },
  },
});

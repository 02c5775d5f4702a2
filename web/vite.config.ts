// SPDX-License-Identifier: MIT
// One multi-page build: the dashboard at /, the till at /till/, the portal at /portal/, and the
// hashed files they share under /assets/. `patron serve` embeds the output (docs/web.md).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  // Preact's JSX runtime; no React compatibility layer is needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // `npm run dev`: the faces from source, the API of a server started beside it (`make run`).
  server: {
    host: '127.0.0.1',
    proxy: { '/v1': process.env.PATRON_URL ?? 'http://127.0.0.1:8080' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Every asset is a file: the Content-Security-Policy allows no data: URLs.
    assetsInlineLimit: 0,
    // The browsers we serve support modulepreload; the polyfill would only add script.
    modulePreload: { polyfill: false },
    target: 'es2022',
    rolldownOptions: {
      input: {
        dashboard: resolve(root, 'index.html'),
        till: resolve(root, 'till/index.html'),
        portal: resolve(root, 'portal/index.html'),
      },
    },
  },
});

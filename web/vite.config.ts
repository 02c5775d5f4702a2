// SPDX-License-Identifier: MIT
// One multi-page build: the dashboard at /, the till at /till/, the portal at /portal/, and the
// hashed files they share under /assets/; and /embed.js, the web shops' script, built alone.
// `patron serve` embeds the output (docs/web.md).
import { resolve } from 'node:path';
import { type Plugin, build, defineConfig } from 'vite';

const root = import.meta.dirname;

// The web-shop script (src/embed/embed.ts, docs/web.md) is a page of another site's: one classic
// script with no import, at a URL that does not change (/embed.js), so it cannot be an entry of
// the faces' build (an ES module sharing their chunks, its name hashed). Once the faces are
// written, it is built on its own into the same folder as an IIFE; scripts/embed_web.py checks
// its size.
function embedScript(): Plugin {
  let outDir = '';
  return {
    name: 'patron-embed-script',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      await build({
        configFile: false,
        root,
        publicDir: false,
        logLevel: 'warn',
        build: {
          outDir,
          emptyOutDir: false,
          copyPublicDir: false,
          target: 'es2020',
          modulePreload: false,
          rolldownOptions: {
            input: resolve(root, 'src/embed/embed.ts'),
            output: { format: 'iife', entryFileNames: 'embed.js' },
          },
        },
      });
    },
  };
}

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
  plugins: [embedScript()],
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

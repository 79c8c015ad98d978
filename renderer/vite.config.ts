/**
 * Build of the renderer: two pages.
 *  - index.html: the application (strict CSP, no eval).
 *  - plot.html: the plotly frame, loaded sandboxed; the only page allowed to eval (plotly's WebGL
 *    code generation), with no network access. Keeping plotly out of the main bundle also keeps
 *    the first paint of the library table fast.
 * `base: './'` makes every URL relative, so the same build works at / (strata serve), under a
 * reverse-proxy sub-path, and from Electron's custom scheme.
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// import.meta.dirname (Vite's config loader defines it): this folder, whatever the working directory.
// No node: imports here, as for the rest of renderer/ (lint), though this file runs in Node.
const root = import.meta.dirname;
const page = (name: string) => `${root}/${name}`;

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  // Nothing is fetched from a CDN: every dependency is bundled.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 5000,
    modulePreload: { polyfill: false },
    rolldownOptions: {
      input: {
        main: page('index.html'),
        plot: page('plot.html'),
      },
    },
  },
});

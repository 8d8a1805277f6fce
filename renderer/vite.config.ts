// Builds the renderer into renderer/dist with relative asset paths, so the same files load from the
// Electron app scheme (blindspot://app/) and from the local web bridge (http://127.0.0.1:port/).
// Run from the repository: `vite build renderer` (the root is this folder; paths here are relative).
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No inline assets and no inline preload script: the CSP allows only files from 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: { host: '127.0.0.1' },
});

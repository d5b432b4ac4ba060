import { defineConfig } from 'vite';

// The console is served by the Go binary under /console/ from
// internal/console/dist, which is committed: the output must be the same on
// every build of the same sources (content hashes only, no timestamps).
export default defineConfig({
  base: '/console/',
  publicDir: 'public',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: process.env.CONSOLE_OUT_DIR || '../internal/console/dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    cssCodeSplit: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
    modulePreload: { polyfill: false },
  },
});

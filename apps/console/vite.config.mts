import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the service at /console/ (apps/api/src/console/console-static.ts); build.mjs sets outDir.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  build: {
    // Inline assets would need a CSP exception (data: scripts and styles are refused).
    assetsInlineLimit: 0,
    sourcemap: false,
    emptyOutDir: true,
  },
});

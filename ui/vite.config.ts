/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the UI with hot reload and forwards the API and the viewer WebSocket to
// a running edge (make run); MBI_EDGE points it at another one.
const edge = process.env.MBI_EDGE ?? 'http://localhost:8090';

export default defineConfig({
  plugins: [react()],
  // Assets are referenced from the root (/assets/…), not relative to the page: the same index.html
  // is also served as the live view at /api/sessions/<id>/live, where relative paths would break.
  base: '/',
  server: {
    proxy: {
      '/api': edge,
      '/ws': { target: edge, ws: true },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});

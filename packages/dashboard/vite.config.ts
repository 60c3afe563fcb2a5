// Builds the dashboard into dist/, which `tunelab ui` serves. In dev, `npx vite` proxies /api to a running `tunelab ui`.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        // Charts libraries change rarely: keep them in their own cacheable chunks.
        manualChunks: { uplot: ['uplot'], echarts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers'] },
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:6006' } },
});

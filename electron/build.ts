// Bundles the Electron entry points into out/electron/ (git- and lint-ignored): main.js (ES module; dependencies such as
// better-sqlite3 stay external and load from node_modules) and preload.cjs (one self-contained
// CommonJS file, as a sandboxed preload must be; it may require nothing but 'electron').
//   node electron/build.ts [outDir]
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const HERE = dirname(fileURLToPath(import.meta.url));

export async function buildElectron(outDir = join(HERE, '..', 'out', 'electron')): Promise<{ main: string; preload: string }> {
  const out = resolve(outDir);
  const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
  await build({
    configFile: false,
    root: HERE,
    logLevel: 'warn',
    build: {
      ssr: join(HERE, 'main.ts'),
      outDir: out,
      emptyOutDir: true,
      target: 'node22',
      minify: false,
      rollupOptions: { external: ['electron', ...nodeBuiltins], output: { format: 'es', entryFileNames: 'main.js' } },
    },
  });
  await build({
    configFile: false,
    root: HERE,
    logLevel: 'warn',
    build: {
      outDir: out,
      emptyOutDir: false,
      target: 'chrome120',
      minify: false,
      lib: { entry: join(HERE, 'preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
      rollupOptions: { external: ['electron'] },
    },
  });
  return { main: join(out, 'main.js'), preload: join(out, 'preload.cjs') };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildElectron(process.argv[2]);
  process.stdout.write(`built ${r.main}\nbuilt ${r.preload}\n`);
}

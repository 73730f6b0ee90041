import type { FileSystem } from '../../src/context.js';

/** A read-only in-memory FileSystem: path → content; a value of null means EACCES. */
export function memoryFs(files: Record<string, string | null>): FileSystem {
  const err = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), { code });
  const fs = {
    readFile: async (path: unknown) => {
      const p = String(path);
      if (!(p in files)) throw err('ENOENT', p);
      const v = files[p];
      if (v === null) throw err('EACCES', p);
      return v;
    },
    stat: async (path: unknown) => {
      const p = String(path);
      if (!(p in files)) throw err('ENOENT', p);
      return { mode: 0o100600, isFile: () => true } as never;
    },
  };
  return new Proxy(fs as unknown as FileSystem, {
    get(target, prop) {
      if (prop in target) return (target as unknown as Record<string | symbol, unknown>)[prop];
      return async () => {
        throw new Error(`memoryFs: ${String(prop)} is not available`);
      };
    },
  });
}

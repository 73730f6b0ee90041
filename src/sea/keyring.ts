import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// In the single executable, @napi-rs/keyring's native binding rides as an asset. Node can only
// dlopen a file: write it to a private directory (0700), load it, and remove it again.

function load(): unknown {
  // node:sea exists only inside a single executable
  const sea = require('node:sea') as { isSea(): boolean; getAsset(name: string): ArrayBuffer };
  if (!sea.isSea()) throw new Error('not a single executable');
  const dir = mkdtempSync(join(tmpdir(), 'osmeta-keyring-'));
  try {
    const file = join(dir, 'keyring.node');
    writeFileSync(file, Buffer.from(sea.getAsset('keyring.node')), { mode: 0o500 });
    const mod = { exports: {} as unknown };
    // biome-ignore lint/correctness/noProcessGlobal: a native binding loads into this process
    process.dlopen(mod, file);
    return mod.exports;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const binding = load() as Record<string, unknown>;
export const AsyncEntry = binding.AsyncEntry;
export const Entry = binding.Entry;
export default binding;

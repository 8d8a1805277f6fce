// Where MSAL's token cache lives. Tokens are never written to the case. Three stores:
//  - memory: the default in the CLI, and the only choice where the platform offers nothing better than a
//    plain-text fallback;
//  - an encrypted file outside the case, when the user supplies a passphrase (scrypt + AES-256-GCM);
//  - the Electron shell's safeStorage, through the SafeStorageLike interface it implements later.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { BlindspotError, EXIT, UsageError } from '../services/errors.ts';

export interface CacheStore {
  /** What kind of store this is, for messages ("memory", "encrypted file …", "safeStorage"). */
  readonly description: string;
  load(): string | null;
  save(serialized: string): void;
}

export function memoryCacheStore(): CacheStore {
  let data: string | null = null;
  return { description: 'memory only (signed out when Blindspot exits)', load: () => data, save: (s) => { data = s; } };
}

const MAGIC = 'BSTC1';
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export function encryptCache(plain: string, passphrase: string): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = scryptSync(passphrase, salt, 32, SCRYPT);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(MAGIC));
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return Buffer.concat([Buffer.from(MAGIC), salt, iv, c.getAuthTag(), body]);
}

export function decryptCache(data: Buffer, passphrase: string): string {
  if (data.length < 5 + 16 + 12 + 16 || data.subarray(0, 5).toString() !== MAGIC) throw new Error('not a Blindspot token cache file');
  const salt = data.subarray(5, 21);
  const iv = data.subarray(21, 33);
  const tag = data.subarray(33, 49);
  const key = scryptSync(passphrase, salt, 32, SCRYPT);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(Buffer.from(MAGIC));
  d.setAuthTag(tag);
  return Buffer.concat([d.update(data.subarray(49)), d.final()]).toString('utf8');
}

/** An encrypted cache file. Refuses a path inside the case folder (tokens never go into the case). */
export function encryptedFileCacheStore(file: string, passphrase: string, caseDir?: string): CacheStore {
  const abs = resolve(file);
  if (caseDir && (abs + sep).startsWith(resolve(caseDir) + sep)) {
    throw new UsageError(`${abs}: the token cache must be kept outside the case folder.`, 'Choose a path in your profile, e.g. ~/.blindspot/tokens.bin');
  }
  if (passphrase.length < 8) throw new UsageError('the token cache passphrase must be at least 8 characters.');
  return {
    description: `encrypted file ${abs}`,
    load() {
      if (!existsSync(abs)) return null;
      try {
        return decryptCache(readFileSync(abs), passphrase);
      } catch {
        throw new BlindspotError(`${abs}: cannot decrypt the token cache (wrong passphrase, or the file is damaged).`, { exitCode: EXIT.usage, hint: 'Give the passphrase used when it was written, or delete the file and sign in again.' });
      }
    },
    save(s) {
      mkdirSync(dirname(abs), { recursive: true });
      const tmp = `${abs}.${process.pid}.tmp`;
      writeFileSync(tmp, encryptCache(s, passphrase), { mode: 0o600 });
      renameSync(tmp, abs);
    },
  };
}

/** What the Electron shell provides (electron.safeStorage has this shape). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(data: Buffer): string;
  /** Linux only: 'basic_text' means the plain-text fallback (no keyring). */
  getSelectedStorageBackend?(): string;
}

/** safeStorage when it really encrypts; memory when it would only obfuscate (Linux basic_text). */
export function safeStorageCacheStore(file: string, ss: SafeStorageLike): CacheStore {
  const backend = ss.getSelectedStorageBackend?.();
  if (!ss.isEncryptionAvailable() || backend === 'basic_text') {
    const m = memoryCacheStore();
    return { ...m, description: `memory only (the platform offers no real encryption${backend ? `: ${backend}` : ''})` };
  }
  const abs = resolve(file);
  return {
    description: `safeStorage file ${abs}`,
    load: () => (existsSync(abs) ? ss.decryptString(readFileSync(abs)) : null),
    save(s) {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, ss.encryptString(s), { mode: 0o600 });
    },
  };
}

/** MSAL cache plugin over a store. */
export function cachePlugin(store: CacheStore): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext): Promise<void> {
      const data = store.load();
      if (data !== null) ctx.tokenCache.deserialize(data);
    },
    async afterCacheAccess(ctx: TokenCacheContext): Promise<void> {
      if (ctx.cacheHasChanged) store.save(ctx.tokenCache.serialize());
    },
  };
}

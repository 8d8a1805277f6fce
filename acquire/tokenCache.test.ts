import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTmp } from '../test/helpers/tmp.ts';
import { safeStorageCacheStore } from './tokenCache.ts';
import type { SafeStorageLike } from './tokenCache.ts';

const tmp = useTmp('bs-cache-');

/** A stand-in for Electron's safeStorage: reversible, and visibly not the plain text. */
function fakeSafeStorage(backend?: string, available = true): SafeStorageLike {
  return {
    isEncryptionAvailable: () => available,
    encryptString: (s) => Buffer.from([...Buffer.from(s, 'utf8')].map((b) => b ^ 0x5a)),
    decryptString: (b) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString('utf8'),
    ...(backend ? { getSelectedStorageBackend: () => backend } : {}),
  };
}

describe('the desktop token cache over safeStorage', () => {
  it('writes only what safeStorage encrypted and reads it back', () => {
    const file = join(tmp(), 'tokens.bin');
    const store = safeStorageCacheStore(file, fakeSafeStorage('gnome_libsecret'));
    store.save('{"RefreshToken":"secret-value"}');
    expect(readFileSync(file).toString('utf8')).not.toContain('secret-value');
    expect(safeStorageCacheStore(file, fakeSafeStorage('gnome_libsecret')).load()).toBe('{"RefreshToken":"secret-value"}');
  });

  it('keeps tokens in memory only when the platform would merely obfuscate them', () => {
    for (const ss of [fakeSafeStorage('basic_text'), fakeSafeStorage(undefined, false)]) {
      const file = join(tmp(), 'tokens.bin');
      const store = safeStorageCacheStore(file, ss);
      store.save('{"RefreshToken":"secret-value"}');
      expect(existsSync(file)).toBe(false);
      expect(store.load()).toBe('{"RefreshToken":"secret-value"}');
      expect(store.description).toMatch(/memory only/);
    }
  });
});

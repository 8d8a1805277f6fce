import { describe, expect, it } from 'vitest';
import { ftsQuery, hasSearchWords, identityParts, searchWords, wordParts } from './search.ts';

describe('free-text search', () => {
  it('splits text as the index does: addresses, host names and IPs stay whole', () => {
    expect(searchWords('ForwardTo ap-desk@fabrikam-billing.example; 203.0.113.5 "\\Inbox"')).toEqual(['ForwardTo', 'ap-desk@fabrikam-billing.example', '203.0.113.5', 'Inbox']);
    expect(searchWords('Gelöschte Elemente')).toEqual(['Gelöschte', 'Elemente']);
  });

  it('adds the later parts of addresses and host names, not of IPs, GUIDs or plain words', () => {
    expect(wordParts('ap-desk@fabrikam-billing.example', 1000)).toBe('desk@fabrikam-billing.example fabrikam-billing.example billing.example example');
    expect(wordParts('invoice.pdf.exe', 1000)).toBe('pdf.exe exe');
    expect(wordParts('203.0.113.5 7f7ffc80-5a9f-4edf-ab0c-5102d4e74994 Inbox RE: Invoice', 1000)).toBe('');
    expect(wordParts('a@b.example c@d.example', 12)).toBe('b.example'); // at most max characters
    expect(wordParts('x@b.example y@b.example', 100)).toBe('b.example example'); // each part once
    // Identities: the later parts of the name and the domain, nothing from inside the domain.
    expect(wordParts('megan.bowen@fabrikam.example user7@contoso.com', 100, true)).toBe('bowen@fabrikam.example fabrikam.example contoso.com');
    // The fast path for one identity gives the same parts.
    for (const id of ['megan.bowen@fabrikam.example', 'user7@contoso.com', 'a-b.c@d-e.example', 'x.@y.example', 'anne.müller@beispiel.de', 'nt authority\\system', 'odd name <o.n@x.example>', 'p@1.example']) {
      const out: string[] = [];
      identityParts(id, out, 1000);
      expect(out.join(' '), id).toBe(wordParts(id, 1000, true));
    }
  });

  it('makes every word a quoted prefix term, all required; punctuation alone is nothing to search for', () => {
    expect(ftsQuery('fabrikam megan')).toBe('"fabrikam"* AND "megan"*');
    expect(ftsQuery('NEAR( * ) "')).toBe('"NEAR"*');
    expect(hasSearchWords('%')).toBe(false);
    expect(hasSearchWords(' \\ % ')).toBe(false);
    expect(hasSearchWords('é')).toBe(true);
  });
});

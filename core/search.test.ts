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
    const parts = (...ids: string[]) => { const out: string[] = []; for (const id of ids) identityParts(id, out); return out; };
    expect(parts('megan.bowen@fabrikam.example', 'user7@contoso.com', 'alex@contoso.com')).toEqual(['bowen@fabrikam.example', 'fabrikam.example', 'contoso.com']);
    expect(parts('a-b.c@d-e.example')).toEqual(['b.c@d-e.example', 'c@d-e.example', 'd-e.example']);
    expect(parts('anne.müller@beispiel.de', 'jürgen.öz@x.de')).toEqual(['müller@beispiel.de', 'beispiel.de', 'öz@x.de', 'x.de']);
    expect(parts('x.@y.example', 'p@1.example', 'nt authority\\system')).toEqual(['y.example']); // no part at a dot or digit
    expect(parts('Odd Name <o.n@x.example>')).toEqual(['n@x.example', 'x.example']); // split as the index splits it
  });

  it('makes every word a quoted prefix term, all required; punctuation alone is nothing to search for', () => {
    expect(ftsQuery('fabrikam megan')).toBe('"fabrikam"* AND "megan"*');
    expect(ftsQuery('NEAR( * ) "')).toBe('"NEAR"*');
    expect(hasSearchWords('%')).toBe(false);
    expect(hasSearchWords(' \\ % ')).toBe(false);
    expect(hasSearchWords('é')).toBe(true);
  });
});

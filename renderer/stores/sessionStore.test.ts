import { describe, expect, it } from 'vitest';
import type { ApiError, ApiResult } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';
import { createGapsStore } from './gapsStore.ts';
import { errorIsState } from './analysisLoad.ts';
import { createSessionStore, watchRefusal } from './sessionStore.ts';

/** A client that answers every call with the same failure. */
const failing = (error: ApiError) => (async (): Promise<ApiResult<unknown>> => ({ ok: false, error })) as unknown as ApiClient;

describe('a window the workstation refuses', () => {
  it('notes the first refusal once and passes every answer on unchanged', async () => {
    const session = createSessionStore();
    const client = watchRefusal(failing({ kind: 'Unauthorized', message: 'wrong key' }), (m) => session.getState().refuse(m));
    expect(session.getState().refused).toBeNull();
    expect(await client('case.summary', {})).toEqual({ ok: false, error: { kind: 'Unauthorized', message: 'wrong key' } });
    expect(session.getState().refused).toBe('wrong key');
    session.getState().refuse('later');
    expect(session.getState().refused).toBe('wrong key');
  });

  it('is not refused by other failures', async () => {
    const session = createSessionStore();
    for (const kind of ['NotFound', 'BadRequest', 'Empty', 'CaseProblem', 'Internal'] as const) {
      await watchRefusal(failing({ kind, message: kind }), (m) => session.getState().refuse(m))('case.summary', {});
    }
    expect(session.getState().refused).toBeNull();
  });
});

describe('the blind spots of a case', () => {
  it('are a state when the case has nothing to analyse, and a failure to retry otherwise', async () => {
    const empty = createGapsStore(failing({ kind: 'Empty', message: 'no events' }));
    await empty.getState().load();
    expect(empty.getState().error).toEqual({ kind: 'Empty', message: 'no events' });
    expect(errorIsState(empty.getState().error)).toBe(true);
    for (const kind of ['BadRequest', 'Unauthorized', 'CaseProblem', 'Internal'] as const) {
      const g = createGapsStore(failing({ kind, message: kind }));
      await g.getState().load();
      expect(g.getState().error, kind).toEqual({ kind, message: kind });
      expect(errorIsState(g.getState().error), kind).toBe(false);
    }
  });
});

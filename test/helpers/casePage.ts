// A case served to a browser page as `blindspot ui` serves it (the handlers over a web bridge, with the
// case's change events), for the UI tests that need a case of their own beside the shared one.
import type { Browser, Page } from 'playwright-core';
import { createHandlers } from '../../services/apiHandlers.ts';
import type { CaseApi } from '../../services/apiHandlers.ts';
import { startWebBridge } from '../../services/webBridge.ts';
import type { WebBridge } from '../../services/webBridge.ts';

/** Opens a 1280×800 page beside a bridge to the case in `dir`; runs `use`, then closes page, bridge and API. */
export async function withCasePage(
  browser: Browser, dir: string, staticDir: string,
  use: (page: Page, bridge: WebBridge, api: CaseApi) => Promise<void>,
): Promise<void> {
  const api = createHandlers(dir);
  try {
    const bridge = await startWebBridge({ handlers: api.handlers, events: api.onEvent, staticDir });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        await use(page, bridge, api);
      } finally {
        await page.close();
      }
    } finally {
      await bridge.close();
    }
  } finally {
    api.close();
  }
}

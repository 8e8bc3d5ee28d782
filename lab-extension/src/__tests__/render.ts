import { MessageLoop } from '@lumino/messaging';
import { act } from 'react';

// Tells React that the tests drive its rendering through act().
(
  globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * Do `action` (attach a widget, click, ask the model again), then let what it started
 * settle: pending promises (requests to a fake service), the messages Lumino posted
 * (update requests) and what React renders for them.
 */
export async function settle(
  action: () => unknown = () => undefined
): Promise<void> {
  await act(async () => {
    await action();
    await new Promise(resolve => setTimeout(resolve, 0));
    MessageLoop.flush();
  });
}

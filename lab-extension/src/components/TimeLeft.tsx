import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CSS } from '../cssClasses';
import { timeLeft } from '../duration';

/** How often the time left is written again. */
export const TIME_LEFT_TICK = 30_000;

/**
 * Properties of {@link TimeLeft}.
 */
export interface ITimeLeftProps {
  /** When the server stops (ISO 8601). */
  at: string;
  /** Which stop (`data-stop`), e.g. `idle` or `maxAge`. */
  kind: string;
  trans: TranslationBundle;
}

/**
 * The time left until a stop, e.g. "in 42 min", written again as time passes;
 * the exact time as its title.
 */
export function TimeLeft(props: ITimeLeftProps): JSX.Element {
  const { at, kind, trans } = props;
  const [, tick] = React.useReducer((count: number) => count + 1, 0);
  React.useEffect(() => {
    const timer = window.setInterval(tick, TIME_LEFT_TICK);
    return () => window.clearInterval(timer);
  }, []);
  return (
    <time
      className={CSS.stops}
      data-stop={kind}
      dateTime={at}
      title={new Date(at).toLocaleString()}
    >
      {timeLeft(at, trans)}
    </time>
  );
}

import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Usage plots, drawn with Vega-Lite on the service and sent inside the page as SVG: no script, no
 * CDN, and the plot is there for anyone who opens the page (or saves it).
 */
export async function plotSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const WIDTH = 560;

/** Bars of `y` per day, stacked by `color` (one colour per server or user) when given. */
export function dailyBars(
  values: object[],
  y: { field: string; title: string },
  color: { field: string; title: string } | null,
  days: string[]
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: 160,
    data: { values },
    mark: 'bar',
    encoding: {
      x: {
        field: 'day',
        type: 'ordinal',
        title: null,
        scale: { domain: days },
        axis: { labelAngle: -60, labelOverlap: true }
      },
      y: {
        field: y.field,
        type: 'quantitative',
        title: y.title,
        aggregate: 'sum'
      },
      ...(color
        ? { color: { field: color.field, type: 'nominal', title: color.title } }
        : {}),
      tooltip: [
        { field: 'day', type: 'ordinal' },
        ...(color ? [{ field: color.field, type: 'nominal' as const }] : []),
        { field: y.field, type: 'quantitative', format: '.2f' }
      ]
    }
  };
}

/** Horizontal bars of `x` per name (users, groups, environments), largest first. */
export function rankedBars(
  values: object[],
  x: { field: string; title: string },
  name: string
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH - 160,
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'name', type: 'nominal', title: name, sort: '-x' },
      x: { field: x.field, type: 'quantitative', title: x.title }
    }
  };
}

/** This month's usage against the quota: one bar per resource, a rule at 100 %. */
export function quotaBars(
  values: Array<{ resource: string; percent: number }>
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH - 160,
    layer: [
      {
        data: { values },
        mark: 'bar',
        encoding: {
          y: { field: 'resource', type: 'nominal', title: null },
          x: {
            field: 'percent',
            type: 'quantitative',
            title: '% of this month’s quota',
            scale: { domainMin: 0, domainMax: 100, clamp: true }
          },
          color: {
            condition: { test: 'datum.percent >= 100', value: '#c62828' },
            value: '#1976d2'
          }
        }
      },
      {
        data: { values: [{ at: 100 }] },
        mark: { type: 'rule', strokeDash: [4, 3] },
        encoding: { x: { field: 'at', type: 'quantitative' } }
      }
    ]
  };
}

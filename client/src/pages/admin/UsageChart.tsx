import { onCleanup, onMount, type JSX } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisIncrements, axisLabels, chartTop, formatUsage } from './stats.js';

const HEIGHT = 180;
const MIN_WIDTH = 240;

/** The page's own colours, so the axes read in the light and the dark theme alike. */
function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

/**
 * One metric per day as bars, drawn by uPlot and sized to its container (a phone gets a narrower chart, not
 * a scrolled one). The same numbers are in the table beside it for screen readers.
 */
export function UsageChart(props: {
  title: string;
  days: number[];
  values: number[];
  color: string;
}): JSX.Element {
  let box: HTMLDivElement | undefined;
  let chart: uPlot | undefined;
  const width = () => Math.max(MIN_WIDTH, box?.clientWidth ?? MIN_WIDTH);
  onMount(() => {
    if (box === undefined) return;
    const text = themeColor('--text', '#1b1f24');
    const line = themeColor('--line', '#dde1e6');
    const axis = { stroke: text, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
    // uPlot's own labels keep three decimals, so ticks of 0.0001 GB-days all read 0; minutes tick whole.
    const incrs = axisIncrements(props.values);
    const yAxis: uPlot.Axis = {
      ...axis,
      size: 52,
      values: (_u, splits) => axisLabels(splits),
      ...(incrs === undefined ? {} : { incrs }),
    };
    chart = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: true },
          y: { range: (_u, _min, max) => [0, chartTop(max)] },
        },
        axes: [axis, yAxis],
        series: [
          {},
          {
            label: props.title,
            stroke: props.color,
            fill: props.color,
            width: 0,
            paths: uPlot.paths.bars?.({ size: [0.7, 48], align: 0 }),
            points: { show: false },
          },
        ],
      },
      [props.days, props.values],
      box,
    );
    const resize = new ResizeObserver(() => chart?.setSize({ width: width(), height: HEIGHT }));
    resize.observe(box);
    onCleanup(() => resize.disconnect());
  });
  onCleanup(() => chart?.destroy());
  const total = () => formatUsage(props.values.reduce((a, b) => a + b, 0));
  return (
    <figure class="usage-chart">
      <figcaption>
        {props.title} <span class="muted small">(total {total()})</span>
      </figcaption>
      <div
        role="img"
        aria-label={`${props.title} per day, ${props.days.length} days, total ${total()}`}
        ref={(el) => (box = el)}
      />
    </figure>
  );
}

// Line charts on uPlot: many series on a shared x (step or wall time), optional log-y, drag to zoom,
// double-click to reset, and a tooltip for the series nearest the cursor. Tooltip text is set with
// textContent only: run names and stop reasons are user content and never become HTML.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { flatRange } from './series.js';
import { readTheme, type ChartTheme } from './theme.js';
import { formatNumber, formatTime } from '../format.js';
import { useThemeName } from '../theme.js';

export interface LineSeries {
  /** Stable identity (run id, trial id): a chart keeps its zoom while the same series get new points. */
  key: string;
  label: string;
  xs: readonly number[];
  ys: readonly (number | null)[];
  color: string;
  width?: number;
  dash?: number[];
  /** Drawn but left out of the tooltip and the nearest-series search (e.g. the raw curve behind a smoothed one). */
  ghost?: boolean;
  /** Extra tooltip lines; `warning` lines are shown in the warning colour (termination reasons). */
  details?: readonly string[];
  warning?: string;
}

/** `epoch`: fractional epochs (a sweep whose trials differ in batch size, so in steps per epoch). */
export type XKind = 'step' | 'time' | 'epoch';

export interface LineChartProps {
  series: readonly LineSeries[];
  xKind: XKind;
  logY?: boolean;
  height?: number;
  yLabel?: string;
  /** The x axis's title (default none). */
  xLabel?: string;
  /** 'nearest': one series (sweeps, many trials); 'all': every series at the cursor's x (compare). */
  tooltip?: 'nearest' | 'all';
  testId?: string;
}

/** The element keeps its uPlot instance for end-to-end tests and debugging in the console. */
export interface ChartElement extends HTMLDivElement {
  __uplot?: uPlot;
}

const TOOLTIP_RADIUS_PX = 48;
const MAX_FOCUS_SERIES = 150;

/** Steps are integers: tick increments 1, 2, 5, 10, 20, 50, … so the axis never reads "2.5". */
const INTEGER_INCREMENTS = Array.from({ length: 13 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

export function LineChart(props: LineChartProps) {
  const holder = useRef<ChartElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const marker = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const zoomed = useRef(false);
  const latest = useRef(props);
  latest.current = props;
  const themeName = useThemeName();
  const height = props.height ?? 260;

  // Structure: everything but the values. A change rebuilds the chart; new values only call setData.
  const structure = JSON.stringify([
    props.series.map((s) => [s.key, s.color, s.width, s.dash, s.ghost]), props.xKind, !!props.logY, height, themeName, props.yLabel, props.xLabel,
  ]);

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const theme = readTheme();
    const options = buildOptions(latest, theme, el.clientWidth || 600, height, { tip, marker }, zoomed);
    const u = new uPlot(options, alignedData(latest.current), el);
    chart.current = u;
    el.__uplot = u;
    zoomed.current = false;
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      chart.current = null;
      delete el.__uplot;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [structure]);

  // New values for the same series: keep the user's zoom if they zoomed.
  useEffect(() => {
    const u = chart.current;
    if (!u) return;
    u.setData(alignedData(props), !zoomed.current);
    if (holder.current) holder.current.dataset.points = String(countPoints(props.series));
  }, [props.series, props.logY, props.xKind]);

  return (
    <div className="chart" data-testid={props.testId} data-series={props.series.filter((s) => !s.ghost).length}>
      <div ref={holder} />
      <div ref={tip} className="chart-tip" role="tooltip" />
      <div ref={marker} className="chart-marker" />
    </div>
  );
}

function countPoints(series: readonly LineSeries[]): number {
  let n = 0;
  for (const s of series) if (!s.ghost) n += s.ys.filter((y) => y !== null).length;
  return n;
}

/** uPlot wants one shared x array: join the series on x, with nulls where a series has no point. */
function alignedData(props: LineChartProps): uPlot.AlignedData {
  const toX = (x: number) => (props.xKind === 'time' ? x / 1000 : x);
  const toY = (y: number | null) => (y === null || !Number.isFinite(y) || (props.logY && y <= 0) ? null : y);
  if (props.series.length === 0) return [[]];
  const tables = props.series.map((s) => [s.xs.map(toX), s.ys.map(toY)] as uPlot.AlignedData);
  return tables.length === 1 ? tables[0] : uPlot.join(tables);
}

function buildOptions(
  props: { current: LineChartProps },
  theme: ChartTheme,
  width: number,
  height: number,
  overlay: { tip: { current: HTMLDivElement | null }; marker: { current: HTMLDivElement | null } },
  zoomed: { current: boolean },
): uPlot.Options {
  const p = props.current;
  const axis = (): uPlot.Axis => ({
    stroke: theme.muted,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
    font: '11px system-ui, sans-serif',
  });
  const yAxis: uPlot.Axis = {
    ...axis(),
    size: 62,
    label: p.yLabel,
    labelFont: '12px system-ui, sans-serif',
    labelSize: p.yLabel ? 18 : 0,
    values: (_u, splits) => splits.map((v) => formatNumber(v, 3)),
  };
  return {
    width,
    height,
    legend: { show: false },
    focus: { alpha: 0.25 },
    cursor: {
      // Dimming the other series redraws every curve on each focus change: fine for tens of series, not for
      // a 1,000-trial sweep, where the tooltip and the marker alone show which curve is under the cursor.
      focus: { prox: p.series.length > MAX_FOCUS_SERIES ? -1 : TOOLTIP_RADIUS_PX },
      drag: { x: true, y: false },
      // 'all' marks every series at the cursor (a few runs); 'nearest' draws its own single marker.
      points: { show: p.tooltip === 'all', size: 7 },
    },
    scales: {
      x: { time: p.xKind === 'time' },
      // A flat series gets a range around its value: uPlot's own would run 0–100 for a value of 0.
      y: p.logY ? { distr: 3, log: 10 } : { auto: true, range: (_u, min, max) => flatRange(min, max) ?? uPlot.rangeNum(min, max, 0.1, true) },
    },
    axes: [{
      ...axis(),
      ...(p.xKind === 'step' ? { incrs: INTEGER_INCREMENTS } : {}),
      ...(p.xLabel ? { label: p.xLabel, labelFont: '12px system-ui, sans-serif', labelSize: 18 } : {}),
    }, yAxis],
    series: [
      { label: p.xKind },
      ...p.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 1.5,
        dash: s.dash,
        spanGaps: true,
        // uPlot draws markers only where points are sparse; hollow ones read well on both themes.
        points: { fill: theme.panel },
      })),
    ],
    hooks: {
      setCursor: [(u) => updateTooltip(u, props.current, overlay.tip.current, overlay.marker.current, theme)],
      setSelect: [() => { zoomed.current = true; }],
      ready: [(u) => u.over.addEventListener('dblclick', () => { zoomed.current = false; })],
    },
  };
}

/** Index of the series whose point at (or near) the cursor's x is closest to the cursor, in pixels. */
function nearestSeries(u: uPlot, series: readonly LineSeries[]): { seriesIdx: number; dataIdx: number } | null {
  const idx = u.cursor.idx;
  const top = u.cursor.top;
  if (idx === null || idx === undefined || top === undefined || top < 0) return null;
  let best: { seriesIdx: number; dataIdx: number } | null = null;
  let bestDist = TOOLTIP_RADIUS_PX;
  for (let s = 1; s < u.series.length; s++) {
    if (series[s - 1]?.ghost || !u.series[s].show) continue;
    const ys = u.data[s] as (number | null | undefined)[];
    const dataIdx = nearestNonNull(ys, idx);
    if (dataIdx === null) continue;
    const dx = u.valToPos(u.data[0][dataIdx], 'x') - (u.cursor.left ?? 0);
    const dy = u.valToPos(ys[dataIdx] as number, 'y') - top;
    const dist = Math.hypot(dx, dy);
    if (dist < bestDist) {
      bestDist = dist;
      best = { seriesIdx: s, dataIdx };
    }
  }
  return best;
}

function nearestNonNull(ys: (number | null | undefined)[], idx: number): number | null {
  for (let d = 0; d < 50; d++) {
    if (ys[idx - d] != null) return idx - d;
    if (ys[idx + d] != null) return idx + d;
  }
  return null;
}

function updateTooltip(u: uPlot, props: LineChartProps, tip: HTMLDivElement | null, marker: HTMLDivElement | null, theme: ChartTheme): void {
  if (!tip || !marker) return;
  const hit = nearestSeries(u, props.series);
  if (!hit) {
    tip.style.display = 'none';
    marker.style.display = 'none';
    return;
  }
  const series = props.series[hit.seriesIdx - 1];
  const xValue = u.data[0][hit.dataIdx];
  const xText = props.xKind === 'time' ? formatTime(xValue * 1000) : `${props.xKind} ${formatNumber(xValue, props.xKind === 'epoch' ? 3 : 4)}`;
  tip.replaceChildren();

  if (props.tooltip === 'all') {
    tip.append(line('t-title', xText));
    props.series.forEach((s, i) => {
      if (s.ghost) return;
      const y = (u.data[i + 1] as (number | null)[])[hit.dataIdx];
      if (y === null || y === undefined) return;
      const row = line('t-row', `${s.label}: ${formatNumber(y, 5)}`);
      row.prepend(swatch(s.color, s.dash));
      if (i + 1 === hit.seriesIdx) row.style.color = theme.text;
      tip.append(row);
    });
  } else {
    const title = line('t-title', series.label);
    title.prepend(swatch(series.color, series.dash));
    tip.append(title);
    tip.append(line('t-row', `${xText} · ${formatNumber((u.data[hit.seriesIdx] as number[])[hit.dataIdx], 5)}`));
    for (const detail of series.details ?? []) tip.append(line('t-row', detail));
    if (series.warning) tip.append(line('t-reason', series.warning));
  }

  // Place the box beside the point, flipped to stay inside the plot.
  const left = u.valToPos(xValue, 'x') + u.bbox.left / devicePixelRatio;
  const top = (u.cursor.top ?? 0) + u.bbox.top / devicePixelRatio;
  if (props.tooltip !== 'all') {
    marker.style.display = 'block';
    marker.style.left = `${left}px`;
    marker.style.top = `${u.valToPos((u.data[hit.seriesIdx] as number[])[hit.dataIdx], 'y') + u.bbox.top / devicePixelRatio}px`;
    marker.style.borderColor = series.color;
  }
  tip.style.display = 'block';
  const width = tip.offsetWidth;
  const flip = left + 16 + width > u.width;
  tip.style.left = `${flip ? left - 16 - width : left + 16}px`;
  tip.style.top = `${Math.max(0, top - 10)}px`;
}

function line(className: string, text: string): HTMLDivElement {
  const div = document.createElement('div');
  div.className = className;
  div.textContent = text;
  return div;
}

function swatch(color: string, dash?: number[]): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = dash ? 'swatch dashed' : 'swatch';
  span.style.color = color;
  return span;
}

// How a sweep is drawn: one visual style per trial state (best, completed, running, terminated early,
// failed) shared by the curves, the scatter and the parallel coordinates, and the ECharts options for the
// last two. Tooltips are DOM nodes built with textContent (trial params and reasons are user content).
import type { SpaceParam, TrialRow } from '../api.js';
import type { EChartsOption } from './EChart.js';
import { tooltipBox } from './EChart.js';
import { seriesColor, type ChartTheme } from './theme.js';
import { formatNumber, formatParam } from '../format.js';

export type TrialKind = 'best' | 'completed' | 'running' | 'terminated' | 'failed' | 'queued';

export function trialKind(trial: TrialRow): TrialKind {
  if (trial.isBest) return 'best';
  if (trial.terminatedEarly) return 'terminated';
  return trial.status as Exclude<TrialKind, 'best'>;
}

export const KIND_LABELS: Record<TrialKind, string> = {
  best: 'best trial',
  completed: 'completed',
  running: 'running',
  terminated: 'terminated early',
  failed: 'failed',
  queued: 'queued',
};

/** Running trials in the scatter: teal, apart from completed (accent blue) and best (amber). */
const RUNNING_COLOR = '#14b8a6';

export interface TrialStyle {
  color: string;
  width: number;
  dash?: number[];
  symbol: string;
  symbolSize: number;
  /** Draw order: larger is drawn later (on top). */
  layer: number;
}

export function trialStyle(trial: TrialRow, theme: ChartTheme): TrialStyle {
  switch (trialKind(trial)) {
    case 'best': return { color: theme.best, width: 3, symbol: 'diamond', symbolSize: 18, layer: 4 };
    case 'running': return { color: seriesColor(trial.number), width: 2.25, symbol: 'circle', symbolSize: 10, layer: 3 };
    case 'completed': return { color: seriesColor(trial.number), width: 1.5, symbol: 'circle', symbolSize: 10, layer: 2 };
    case 'terminated': return { color: theme.faint, width: 1.25, dash: [5, 4], symbol: 'triangle', symbolSize: 10, layer: 1 };
    case 'failed': return { color: theme.bad, width: 1.25, dash: [2, 3], symbol: 'rect', symbolSize: 8, layer: 0 };
    case 'queued': return { color: theme.faint, width: 1, symbol: 'emptyCircle', symbolSize: 8, layer: 0 };
  }
}

export function paramSummary(params: TrialRow['params'], space: readonly SpaceParam[]): string {
  return space.map((p) => `${p.name}=${formatParam(params[p.name])}`).join(' · ');
}

export function trialTooltip(trial: TrialRow, space: readonly SpaceParam[], metric: string): HTMLElement {
  const rows = [
    `${metric} ${formatNumber(trial.value, 5)}${trial.lastStep !== null ? ` (step ${trial.lastStep})` : ''}`,
    paramSummary(trial.params, space),
    KIND_LABELS[trialKind(trial)],
  ];
  return tooltipBox(`Trial #${trial.number}`, rows, trial.terminatedEarly ? trial.reason ?? 'terminated' : undefined);
}

/** The axis `type` (and category list) for a param's scale, as the discriminated shape ECharts' types want. */
function axisKind(param: SpaceParam): { type: 'log' } | { type: 'category'; data: string[] } | { type: 'value'; scale: true } {
  if (param.scale === 'log') return { type: 'log' };
  if (param.scale === 'category') return { type: 'category', data: categoriesOf(param) };
  return { type: 'value', scale: true };
}

function categoriesOf(param: SpaceParam): string[] {
  return (param.values ?? []).map(String);
}

/** A trial's param as the axis wants it: the category name on category axes, the number otherwise. */
function axisValue(param: SpaceParam, value: TrialRow['params'][string] | undefined): string | number {
  return param.scale === 'category' ? String(value) : Number(value);
}

/** Numbers compact (1e-4, 0.35); category names as they are. */
function tickLabel(value: number | string): string {
  return typeof value === 'number' ? formatNumber(value, 2) : value;
}

function axisStyle(theme: ChartTheme) {
  return {
    axisLine: { lineStyle: { color: theme.border } },
    axisLabel: { color: theme.muted, fontSize: 11 },
    splitLine: { lineStyle: { color: theme.grid } },
    nameTextStyle: { color: theme.muted, fontSize: 12 },
  };
}

const TOOLTIP_BASE = (theme: ChartTheme) => ({
  backgroundColor: theme.panel,
  borderColor: theme.border,
  textStyle: { color: theme.text, fontSize: 12 },
  extraCssText: 'box-shadow: 0 6px 18px rgba(0,0,0,0.16); border-radius: 7px;',
});

/** Hyperparameter (x) against the trial's objective value (y); log x for log-distributed params. */
export function scatterOption(trials: readonly TrialRow[], param: SpaceParam, space: readonly SpaceParam[], metric: string, theme: ChartTheme): EChartsOption {
  const plotted = trials.filter((t) => t.value !== null && t.params[param.name] !== undefined && t.params[param.name] !== null);
  const kinds: TrialKind[] = ['failed', 'terminated', 'completed', 'running', 'best'];
  return {
    grid: { left: 64, right: 24, top: 34, bottom: 78 },
    legend: { bottom: 0, textStyle: { color: theme.muted }, itemWidth: 12, itemHeight: 12 },
    tooltip: { trigger: 'item', ...TOOLTIP_BASE(theme), formatter: (p) => trialTooltip(trials[(p as unknown as { data: { trialIndex: number } }).data.trialIndex], space, metric) },
    xAxis: {
      ...axisKind(param),
      name: param.scale === 'log' ? `${param.name} (log)` : param.name,
      nameLocation: 'middle',
      nameGap: 30,
      ...axisStyle(theme),
      axisLabel: { color: theme.muted, fontSize: 11, formatter: tickLabel },
    },
    yAxis: { type: 'value', name: metric, scale: true, nameGap: 14, ...axisStyle(theme), axisLabel: { color: theme.muted, fontSize: 11, formatter: (v: number) => formatNumber(v, 3) } },
    series: kinds.map((kind) => {
      const members = plotted.filter((t) => trialKind(t) === kind);
      const style = members[0] ? trialStyle(members[0], theme) : null;
      return {
        type: 'scatter' as const,
        animation: false,
        name: KIND_LABELS[kind],
        symbol: style?.symbol ?? 'circle',
        symbolSize: style?.symbolSize ?? 10,
        itemStyle: kind === 'terminated'
          ? { color: 'transparent', borderColor: theme.faint, borderWidth: 1.5 }
          : { color: { best: theme.best, failed: theme.bad, running: RUNNING_COLOR, completed: theme.accent, queued: theme.faint }[kind], opacity: 0.9, borderColor: theme.panel, borderWidth: 1 },
        z: kind === 'best' ? 10 : 2,
        data: members.map((t) => ({
          value: [axisValue(param, t.params[param.name]), t.value as number],
          trialIndex: trials.indexOf(t),
        })),
      };
    }),
  };
}

/** Every search-space param plus the objective as parallel axes; drag on an axis to brush a range. */
export function parallelOption(trials: readonly TrialRow[], space: readonly SpaceParam[], metric: string, goal: string, theme: ChartTheme): EChartsOption {
  const plotted = trials.filter((t) => t.value !== null);
  const values = plotted.map((t) => t.value as number);
  const low = Math.min(...values);
  const high = Math.max(...values);
  // Good trials get the strong colour: for minimize that's the low end.
  const ramp = [theme.accent, '#7c9cc9', '#a7b2c0'];
  return {
    parallel: { left: 60, right: 90, top: 46, bottom: 30, parallelAxisDefault: { ...axisStyle(theme), nameLocation: 'end', nameGap: 16, areaSelectStyle: { width: 18, borderWidth: 1, borderColor: theme.accent, color: theme.accent, opacity: 0.25 } } },
    parallelAxis: [
      ...space.map((p, dim) => ({
        dim,
        // Stable ids let the page re-apply a brush after live data rebuilds the chart.
        id: `axis:${p.name}`,
        name: p.scale === 'log' ? `${p.name} (log)` : p.name,
        ...axisKind(p),
        axisLabel: { color: theme.muted, fontSize: 11, formatter: tickLabel },
      })),
      { dim: space.length, id: 'axis:objective', name: `${metric} ${goal === 'minimize' ? '↓' : '↑'}`, type: 'value' as const, scale: true, axisLabel: { color: theme.muted, fontSize: 11, formatter: (v: number) => formatNumber(v, 3) } },
    ],
    visualMap: {
      show: true,
      type: 'continuous',
      dimension: space.length,
      min: low,
      max: high === low ? low + 1 : high,
      inRange: { color: goal === 'minimize' ? ramp : [...ramp].reverse() },
      right: 6,
      top: 'middle',
      itemHeight: 120,
      calculable: false,
      textStyle: { color: theme.muted, fontSize: 11 },
      formatter: (v: unknown) => formatNumber(Number(v), 3),
    },
    tooltip: { trigger: 'item', ...TOOLTIP_BASE(theme), formatter: (p) => trialTooltip(plotted[(p as unknown as { dataIndex: number }).dataIndex], space, metric) },
    series: [{
      type: 'parallel',
      animation: false,
      smooth: false,
      inactiveOpacity: 0.06,
      activeOpacity: 0.9,
      lineStyle: { width: 1.5, opacity: 0.75 },
      emphasis: { lineStyle: { width: 3, opacity: 1 } },
      data: plotted.map((t) => ({
        value: [...space.map((p) => axisValue(p, t.params[p.name])), t.value as number],
        lineStyle: t.isBest ? { width: 3.5, color: theme.best, opacity: 1 } : t.terminatedEarly ? { type: 'dashed' as const } : undefined,
      })),
    }],
  };
}

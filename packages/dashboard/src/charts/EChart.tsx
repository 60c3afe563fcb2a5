// One React wrapper around ECharts (scatter and parallel coordinates), tree-shaken to what we draw.
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { ParallelChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, ParallelComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
// Type-only: the full option type checks our options; the bundle still holds only what echarts.use() registers.
import type { EChartsOption } from 'echarts';
import { useThemeName } from '../theme.js';

echarts.use([ScatterChart, ParallelChart, GridComponent, LegendComponent, ParallelComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export type { EChartsOption };

export interface EChartElement extends HTMLDivElement {
  __echarts?: echarts.ECharts;
}

export interface EChartProps {
  option: EChartsOption;
  height?: number;
  testId?: string;
  /** Called with the chart after every (re)build, to bind events such as brushing. */
  onReady?: (chart: echarts.ECharts) => void;
  /** data-points on the holder: what the test (and a curious user) can read back. */
  pointCount?: number;
}

export function EChart({ option, height = 320, testId, onReady, pointCount }: EChartProps) {
  const holder = useRef<EChartElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const themeName = useThemeName();

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const instance = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.current = instance;
    el.__echarts = instance;
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      instance.dispose();
      chart.current = null;
      delete el.__echarts;
    };
  }, [themeName]);

  useEffect(() => {
    const instance = chart.current;
    if (!instance) return;
    instance.setOption(option, { notMerge: true });
    onReady?.(instance);
  }, [option, themeName, onReady]);

  return <div ref={holder} className="chart" style={{ height }} data-testid={testId} data-points={pointCount} />;
}

/** Tooltip content built as DOM nodes: names and reasons are user content, never parsed as HTML. */
export function tooltipBox(title: string, rows: readonly string[], warning?: string): HTMLElement {
  const box = document.createElement('div');
  const head = document.createElement('div');
  head.className = 't-title';
  head.textContent = title;
  box.append(head);
  for (const text of rows) {
    const row = document.createElement('div');
    row.className = 't-row';
    row.textContent = text;
    box.append(row);
  }
  if (warning) {
    const row = document.createElement('div');
    row.className = 't-reason';
    row.textContent = warning;
    box.append(row);
  }
  return box;
}

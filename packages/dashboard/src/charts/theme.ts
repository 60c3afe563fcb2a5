// Chart colours come from the page's CSS variables so light and dark themes stay consistent.

/** Categorical palette (Tableau 10, reordered for contrast on both themes). */
export const PALETTE = ['#4e79a7', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#f28e2b', '#ff9da7', '#9c755f', '#8cd17d'];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

export interface ChartTheme {
  text: string;
  muted: string;
  faint: string;
  grid: string;
  border: string;
  panel: string;
  accent: string;
  best: string;
  warn: string;
  bad: string;
  ok: string;
}

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string) => style.getPropertyValue(name).trim();
  return {
    text: v('--text'), muted: v('--muted'), faint: v('--faint'), grid: v('--grid'), border: v('--border'),
    panel: v('--panel'), accent: v('--accent'), best: v('--best'), warn: v('--warn'), bad: v('--bad'), ok: v('--ok'),
  };
}

/** Adds alpha to a #rrggbb colour. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

// Light/dark theme: follows the system until the user picks one; the choice is kept in localStorage.
import { useSyncExternalStore } from 'react';

export type ThemeName = 'light' | 'dark';
const STORAGE_KEY = 'tunelab.theme';
const listeners = new Set<() => void>();

function systemTheme(): ThemeName {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function storedTheme(): ThemeName | null {
  const value = localStorage.getItem(STORAGE_KEY);
  return value === 'light' || value === 'dark' ? value : null;
}

export function currentTheme(): ThemeName {
  return (document.documentElement.dataset.theme as ThemeName | undefined) ?? storedTheme() ?? systemTheme();
}

export function applyTheme(name: ThemeName = storedTheme() ?? systemTheme()): void {
  document.documentElement.dataset.theme = name;
  for (const listener of listeners) listener();
}

export function toggleTheme(): void {
  const next: ThemeName = currentTheme() === 'dark' ? 'light' : 'dark';
  localStorage.setItem(STORAGE_KEY, next);
  applyTheme(next);
}

export function useThemeName(): ThemeName {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    currentTheme,
  );
}

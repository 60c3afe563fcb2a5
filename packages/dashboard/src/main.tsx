import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { captureTokenFromUrl } from './api.js';
import { applyTheme } from './theme.js';
import './styles.css';

captureTokenFromUrl();
applyTheme();
createRoot(document.getElementById('root')!).render(<App />);

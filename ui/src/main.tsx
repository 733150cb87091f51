import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { takeTokenFromAddress } from './auth';
import './styles.css';

// A login link (/?token=…) leaves its token in this browser, and not in the address bar.
takeTokenFromAddress();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

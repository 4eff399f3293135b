import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { createServices, ServicesProvider } from './app-context';
import { createConsoleRouter } from './routes';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <ServicesProvider services={createServices()}>
      <RouterProvider router={createConsoleRouter()} />
    </ServicesProvider>
  </StrictMode>,
);

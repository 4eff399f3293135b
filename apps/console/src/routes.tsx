import { createBrowserRouter, Navigate } from 'react-router';
import { RequireSession } from './auth/RequireSession';
import { SignIn } from './auth/SignIn';
import { ApiKeys } from './screens/ApiKeys';
import { AuditEvents } from './screens/AuditEvents';
import { ConnectionEdit, ConnectionNew } from './screens/ConnectionForm';
import { ConnectionView } from './screens/ConnectionView';
import { Connections } from './screens/Connections';
import { Explore } from './screens/Explore';
import { Members } from './screens/Members';
import { NotFound } from './screens/NotFound';
import { ProjectLayout } from './screens/ProjectLayout';
import { Projects } from './screens/Projects';
import { Shell } from './ui/Shell';

/** Every screen has its own URL under /console/, so deep links, reloads and the back button work. */
export function createConsoleRouter() {
  return createBrowserRouter(
    [
      { path: '/sign-in', element: <SignIn /> },
      {
        element: <RequireSession />,
        children: [
          {
            element: <Shell />,
            children: [
              { index: true, element: <Navigate to="/projects" replace /> },
              { path: 'projects', element: <Projects /> },
              {
                path: 'projects/:project',
                element: <ProjectLayout />,
                children: [
                  { index: true, element: <Navigate to="connections" replace /> },
                  { path: 'connections', element: <Connections /> },
                  { path: 'connections/new', element: <ConnectionNew /> },
                  { path: 'connections/:connection', element: <ConnectionView /> },
                  { path: 'connections/:connection/edit', element: <ConnectionEdit /> },
                  { path: 'connections/:connection/explore', element: <Explore /> },
                  { path: 'api-keys', element: <ApiKeys /> },
                  { path: 'audit', element: <AuditEvents /> },
                  { path: 'members', element: <Members /> },
                ],
              },
              { path: '*', element: <NotFound /> },
            ],
          },
        ],
      },
    ],
    { basename: '/console' },
  );
}

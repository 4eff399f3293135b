import { Navigate, Outlet, useLocation } from 'react-router';
import { useSessionState } from '../app-context';

/** Screens behind sign-in: without a session, to the sign-in screen, which brings the user back here. */
export function RequireSession() {
  const { tokens, ended } = useSessionState();
  const location = useLocation();
  if (tokens) return <Outlet />;
  const next = `${location.pathname}${location.search}`;
  const query = new URLSearchParams();
  // After signing out, a new sign-in starts afresh; after an expiry it returns where the user was.
  if (ended !== 'signed-out' && next !== '/') query.set('next', next);
  if (ended === 'expired') query.set('expired', '1');
  const search = query.toString();
  return <Navigate to={`/sign-in${search ? `?${search}` : ''}`} replace />;
}

import { Link, Outlet, useNavigate } from 'react-router';
import { useApi, useSession } from '../app-context';
import { useQuery } from '../api/use-query';

/** The frame of every signed-in screen: who is signed in, sign out, and the screen itself. */
export function Shell() {
  const api = useApi();
  const session = useSession();
  const navigate = useNavigate();
  const me = useQuery('me', () => api.GET('/api/v1/auth/me'));
  const signOut = async () => {
    await session.signOut();
    navigate('/sign-in', { replace: true });
  };
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/projects" className="brand">
          Switchboard
        </Link>
        <div className="who">
          {me.data && <span className="muted">{me.data.user.email}</span>}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div id="main" className="page" tabIndex={-1}>
        <Outlet />
      </div>
    </>
  );
}

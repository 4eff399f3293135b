import { Link } from 'react-router';
import { useTitle } from '../ui/use-title';

export function NotFound() {
  useTitle('Not found');
  return (
    <main>
      <h1>Not found</h1>
      <p>
        There is no such screen. <Link to="/projects">Go to your projects</Link>.
      </p>
    </main>
  );
}

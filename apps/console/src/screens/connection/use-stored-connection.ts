import { useQuery } from '../../api/use-query';
import { useApi } from '../../app-context';
import { useProject } from '../ProjectLayout';

/** A saved connection with the ETag it was read at, which a write sends back as If-Match. */
export function useStoredConnection(ref: string, purpose: string) {
  const api = useApi();
  const { project } = useProject();
  return useQuery(`connection:${project.id}:${ref}:${purpose}`, async () => {
    const answer = await api.GET('/api/v1/projects/{project}/connections/{connection}', {
      params: { path: { project: project.slug, connection: ref } },
    });
    return { ...answer, data: answer.data && { connection: answer.data, etag: answer.response.headers.get('ETag') ?? undefined } };
  });
}

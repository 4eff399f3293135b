import type { AuditActor } from '@switchboard/audit';
import type { ProjectAccess } from '../access/project-access';

/**
 * Something to try the API on, made on first start in the default project. Implemented by the
 * connections lib, which sits above this one: resolved lazily, so projects never imports it.
 */
export abstract class FirstRunSample {
  abstract create(actor: AuditActor, access: ProjectAccess): Promise<void>;
}

/**
 * What modules above this one hold for a project besides its rows (connections: live sessions
 * to its targets), let go when the project is deleted. Owned here, provided by them: projects
 * never imports what sits above it.
 */
export abstract class ProjectTeardown {
  /** Runs before the project's rows go (what it needs to find is still there); what it returns runs once they are gone. */
  abstract prepare(projectId: string): Promise<() => void>;
}
